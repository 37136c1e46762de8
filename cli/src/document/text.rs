//! A [`Document`] as aligned text for a terminal, tables laid out by `comfy-table`.

use std::fmt::Write as _;

use comfy_table::{CellAlignment, ContentArrangement, ContentLineStyle, TableStyle};

use super::{Align, Block, Document, Table};

/// The look of the tables: no borders and a space between columns (two, with the padding). The
/// line of dashes under the header is the header's second line (see [`table`]), so that it
/// spans each column's text and not its padding.
const TABLE_STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '));

pub(super) fn render(doc: &Document) -> String {
    let mut out = format!("{}\n", doc.title);
    for block in &doc.blocks {
        match block {
            Block::Heading(heading) => {
                let _ = writeln!(out, "\n{heading}");
            }
            Block::Table(t) => table(t, "  ", &mut out),
            Block::Fields(fields) => {
                // The values line up two spaces after the longest label.
                let width = fields.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0) + 2;
                for (label, value) in fields {
                    let _ = writeln!(out, "  {label:<width$}{value}");
                }
            }
            Block::Paragraph(paragraph) => {
                let _ = writeln!(out, "\n{paragraph}");
            }
        }
    }
    out
}

/// A table of aligned columns, each line after `indent`, each column's name underlined with
/// dashes as wide as its widest text (its name included), as comfy-table measures it (wide
/// characters count twice).
pub(super) fn table(t: &Table, indent: &str, out: &mut String) {
    let mut inner = comfy_table::Table::new();
    inner
        .load_style(TABLE_STYLE)
        // Never wrap: cells are already cut to size, and output piped to a file keeps one line a
        // row.
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(t.columns.iter().map(|(name, _)| name.clone()));
    for row in &t.rows {
        inner.add_row(row.clone());
    }
    for (column, (_, align)) in inner.column_iter_mut().zip(&t.columns) {
        column.set_padding((0, 1));
        column.set_cell_alignment(match align {
            Align::Left => CellAlignment::Left,
            Align::Right => CellAlignment::Right,
        });
    }
    let widths = inner.column_max_content_widths();
    let header: Vec<String> = t
        .columns
        .iter()
        .zip(widths)
        .map(|((name, _), width)| format!("{name}\n{}", "-".repeat(usize::from(width))))
        .collect();
    inner.set_header(header);
    for line in inner.lines() {
        let _ = writeln!(out, "{indent}{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(t: &Table) -> String {
        let mut out = String::new();
        table(t, "  ", &mut out);
        out
    }

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&[("Name", Align::Left), ("Units", Align::Right)]);
        t.row(vec!["a".into(), "1,000".into()]);
        t.row(vec!["longer".into(), "7".into()]);
        let out = rendered(&t);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, ["  Name    Units", "  ------  -----", "  a       1,000", "  longer      7"]);

        // Wide characters count twice; an empty table is its header.
        let mut t = Table::new(&[("Name", Align::Left), ("N", Align::Right)]);
        t.row(vec!["東京".into(), "12".into()]);
        assert_eq!(rendered(&t), "  Name   N\n  ----  --\n  東京  12\n");
        let t = Table::new(&[("Kind", Align::Left), ("Used", Align::Right)]);
        assert_eq!(rendered(&t), "  Kind  Used\n  ----  ----\n");
    }

    #[test]
    fn fields_line_up_after_the_longest_label_and_headings_follow_a_blank_line() {
        let mut doc = Document::new("Title");
        doc.fields(vec![("Source".into(), "x".into()), ("Generated".into(), "y".into())])
            .heading("Totals")
            .paragraph("Note: z");
        assert_eq!(doc.text(), "Title\n  Source     x\n  Generated  y\n\nTotals\n\nNote: z\n");
    }
}
