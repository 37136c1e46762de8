//! What a command prints for people, built once and rendered in either of two formats: a
//! [`Document`] of blocks (a title, headings, tables, labelled fields, paragraphs), printed as
//! aligned text for a terminal ([`Document::text`], `-o table`) or as Markdown for a wiki or a
//! ticket ([`Document::markdown`], `-o markdown`). A command says what to show; this module
//! alone says how each format lays it out.
//!
//! ```
//! use thousandeyes_usage_cli::document::{Align, Document, Table};
//!
//! let mut doc = Document::new("Usage");
//! doc.fields(vec![("Period".into(), "month to date, 1–6 Dec".into())]);
//! let mut table = Table::new(&[("Account group", Align::Left), ("Units", Align::Right)]);
//! table.row(vec!["EMEA Retail".into(), "1,386,383".into()]);
//! doc.heading("Units by account group").table(table);
//! assert!(doc.text().contains("  EMEA Retail    1,386,383"));
//! assert!(doc.markdown().contains("| EMEA Retail | 1,386,383 |"));
//! ```

mod markdown;
mod text;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Figures.
    Right,
}

/// A table: named, aligned columns and rows of cells already written for people (figures with
/// separators, server text made safe: see [`crate::figures`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns and no rows.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            columns: columns.iter().map(|(name, align)| (name.to_string(), *align)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row, one cell per column (missing cells are empty, extra ones dropped).
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.columns.len(), String::new());
        self.rows.push(cells);
    }

    /// The table alone as aligned text, not indented: what a [`Document`]'s text shows of it,
    /// for a command that prints one table.
    ///
    /// ```
    /// use thousandeyes_usage_cli::document::{Align, Table};
    /// let mut table = Table::new(&[("Group", Align::Left), ("Units", Align::Right)]);
    /// table.row(vec!["Web".into(), "1,000".into()]);
    /// assert_eq!(table.text(), "Group  Units\n-----  -----\nWeb    1,000\n");
    /// ```
    pub fn text(&self) -> String {
        let mut out = String::new();
        text::table(self, "", &mut out);
        out
    }
}

/// One block of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Heading(String),
    Table(Table),
    /// Labelled values, one a line: `Source  https://…`.
    Fields(Vec<(String, String)>),
    Paragraph(String),
}

/// What a command prints for people: a title, then blocks in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    title: String,
    blocks: Vec<Block>,
}

impl Document {
    /// A document with this title and nothing else yet.
    pub fn new(title: impl Into<String>) -> Document {
        Document { title: title.into(), blocks: Vec::new() }
    }

    /// Adds a section heading.
    pub fn heading(&mut self, heading: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(heading.into()));
        self
    }

    /// Adds a table.
    pub fn table(&mut self, table: Table) -> &mut Self {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Adds labelled values, one a line.
    pub fn fields(&mut self, fields: Vec<(String, String)>) -> &mut Self {
        self.blocks.push(Block::Fields(fields));
        self
    }

    /// Adds a paragraph.
    pub fn paragraph(&mut self, paragraph: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(paragraph.into()));
        self
    }

    /// The document as aligned text (`-o table`): the title, each heading after a blank line,
    /// tables and fields indented by two spaces.
    pub fn text(&self) -> String {
        text::render(self)
    }

    /// The document as Markdown (`-o markdown`): `#` title, `##` headings, pipe tables
    /// (right-aligned figures), fields as a list; text escaped so that it shows as written.
    pub fn markdown(&self) -> String {
        markdown::render(self)
    }
}
