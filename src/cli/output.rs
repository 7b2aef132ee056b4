//! Prints results for people or, with `--json`, for scripts.

use serde_json::Value;

pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// One result: a line for people, the value for scripts.
    pub fn done(&self, human: &str, value: Value) {
        if self.json {
            println!("{value}");
        } else {
            println!("{human}");
        }
    }

    /// A table for people, a JSON array for scripts.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>, values: Vec<Value>) {
        if self.json {
            println!("{}", Value::Array(values));
            return;
        }
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<width$}", width = widths.get(i).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        println!("{}", line(headers.to_vec()));
        for row in &rows {
            println!("{}", line(row.iter().map(String::as_str).collect()));
        }
    }
}
