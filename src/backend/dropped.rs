//! What an engine cannot carry, collected over all steps and reported once per code.

use std::collections::BTreeMap;

use crate::diagnostic::Code;
use crate::error::Warning;

/// Warnings collected over all steps, reported once per code (in code order), with the
/// message of its first occurrence and every step it concerns.
#[derive(Default)]
pub struct Dropped {
    items: BTreeMap<&'static str, (&'static Code, String, Vec<String>)>,
}

impl Dropped {
    pub fn add(&mut self, code: &'static Code, what: impl Into<String>, step: &str) {
        let entry = self.items.entry(code.code).or_insert_with(|| (code, what.into(), Vec::new()));
        if !entry.2.iter().any(|s| s == step) {
            entry.2.push(step.to_string());
        }
    }

    /// How many (code, step) pairs were added: unchanged over a step when it added none.
    pub fn count(&self) -> usize {
        self.items.values().map(|(_, _, steps)| steps.len()).sum()
    }

    pub fn warn(self, warnings: &mut Vec<Warning>) {
        for (code, what, steps) in self.items.into_values() {
            let steps: Vec<String> = steps.iter().map(|s| format!("`{s}`")).collect();
            warnings.push(Warning::new(code, format!("{what} (steps {})", steps.join(", "))));
        }
    }
}
