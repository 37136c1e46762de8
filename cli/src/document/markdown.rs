//! A [`Document`] as Markdown (CommonMark with GitHub's pipe tables).

use std::fmt::Write as _;

use super::{Align, Block, Document, Table};

pub(super) fn render(doc: &Document) -> String {
    let mut out = format!("# {}\n", escape(&doc.title));
    for block in &doc.blocks {
        match block {
            Block::Heading(heading) => {
                let _ = writeln!(out, "\n## {}", escape(heading));
            }
            Block::Table(t) => table(t, &mut out),
            Block::Fields(fields) => {
                out.push('\n');
                for (label, value) in fields {
                    if label.is_empty() {
                        let _ = writeln!(out, "- {}", escape(value));
                    } else {
                        let _ = writeln!(out, "- **{}**: {}", escape(label), escape(value));
                    }
                }
            }
            Block::Paragraph(paragraph) => {
                let _ = writeln!(out, "\n{}", escape(paragraph));
            }
        }
    }
    out
}

fn table(t: &Table, out: &mut String) {
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push('\n');
    out.push_str(&line(&mut t.columns.iter().map(|(name, _)| escape(name))));
    out.push_str(&line(&mut t.columns.iter().map(|(_, align)| match align {
        Align::Left => "---".to_string(),
        Align::Right => "---:".to_string(),
    })));
    for row in &t.rows {
        out.push_str(&line(&mut row.iter().map(|cell| escape(cell))));
    }
}

/// Text as Markdown shows it as written: the characters that mark emphasis, code, links, HTML
/// and table cells are escaped with a backslash, and a line break becomes a space.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_headings_pipe_tables_with_aligned_figures_and_a_list_of_fields() {
        let mut doc = Document::new("Usage report");
        let mut t = Table::new(&[("Test", Align::Left), ("Units", Align::Right)]);
        t.row(vec!["a | b".into(), "1,000".into()]);
        doc.fields(vec![("Period".into(), "month to date, 1–6 Dec".into())]).heading("Top tests").table(t);
        assert_eq!(
            doc.markdown(),
            "# Usage report\n\n- **Period**: month to date, 1–6 Dec\n\n## Top tests\n\n| Test | Units |\n\
             | --- | ---: |\n| a \\| b | 1,000 |\n"
        );
    }

    #[test]
    fn server_text_cannot_make_markup() {
        assert_eq!(
            escape("*bold* <script> [x](y) `c` _i_ #1\nnext"),
            "\\*bold\\* \\<script\\> \\[x\\](y) \\`c\\` \\_i\\_ #1 next"
        );
    }
}
