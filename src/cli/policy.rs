//! Which warnings are errors (`--deny-warnings`, `-D CODE`) and which are not shown
//! (`-A CODE`), from the command line and the configuration file.

use std::collections::BTreeSet;

use crate::diagnostic::{self, Severity};

/// What happens to one warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Not reported, not counted.
    Allow,
    Warn,
    /// Reported as an error; nothing is written, exit 1.
    Deny,
}

/// The lists of one source (command line or file).
#[derive(Debug, Clone, Default)]
pub struct Lists {
    pub deny_all: bool,
    pub deny: BTreeSet<String>,
    pub allow: BTreeSet<String>,
}

impl Lists {
    /// Lists from `--deny-warnings`/`-D`/`-A` or the file's keys; `flag` names them in errors
    /// (`-D` or `deny`). A code that is not a warning is an error.
    pub fn new(deny_all: bool, deny: &[String], allow: &[String], names: (&str, &str)) -> Result<Lists, String> {
        for (codes, name) in [(deny, names.0), (allow, names.1)] {
            for code in codes {
                check_code(code, name)?;
            }
        }
        let deny: BTreeSet<String> = deny.iter().cloned().collect();
        let allow: BTreeSet<String> = allow.iter().cloned().collect();
        if let Some(both) = deny.intersection(&allow).next() {
            return Err(format!("`{both}` is both denied ({}) and allowed ({})", names.0, names.1));
        }
        Ok(Lists { deny_all, deny, allow })
    }
}

/// A warning code, or a message saying why `code` is not one.
fn check_code(code: &str, flag: &str) -> Result<(), String> {
    match diagnostic::lookup(code).map(|l| l.code) {
        Some(c) if c.severity == Severity::Warning => Ok(()),
        Some(c) => Err(format!(
            "{flag} {code}: `{code}` is {} {}, not a warning; only warnings can be denied or allowed",
            if c.severity == Severity::Error { "an" } else { "a" },
            c.severity.name()
        )),
        None => Err(format!("{flag} {code}: no such warning code (`zenc explain` lists them)")),
    }
}

/// The command line over the file; within each, a code's own entry over `deny-warnings`.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub flags: Lists,
    pub file: Lists,
}

impl Policy {
    pub fn level(&self, code: &str) -> Level {
        for lists in [&self.flags, &self.file] {
            if lists.allow.contains(code) {
                return Level::Allow;
            }
            if lists.deny.contains(code) {
                return Level::Deny;
            }
        }
        if self.flags.deny_all || self.file.deny_all {
            Level::Deny
        } else {
            Level::Warn
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(deny_all: bool, deny: &[&str], allow: &[&str]) -> Lists {
        let v = |xs: &[&str]| xs.iter().map(std::string::ToString::to_string).collect::<Vec<_>>();
        Lists::new(deny_all, &v(deny), &v(allow), ("-D", "-A")).unwrap()
    }

    #[test]
    fn specific_beats_blanket_and_flags_beat_the_file() {
        let p = Policy { flags: lists(true, &[], &["argo-catchup"]), file: lists(false, &["tekton-ttl"], &[]) };
        assert_eq!(p.level("argo-catchup"), Level::Allow);
        assert_eq!(p.level("tekton-ttl"), Level::Deny);
        assert_eq!(p.level("option-unused"), Level::Deny);
        let p = Policy { flags: lists(false, &["tekton-ttl"], &[]), file: lists(false, &[], &["tekton-ttl"]) };
        assert_eq!(p.level("tekton-ttl"), Level::Deny);
        let p = Policy { flags: lists(false, &[], &[]), file: lists(true, &[], &["tekton-ttl"]) };
        assert_eq!(p.level("tekton-ttl"), Level::Allow);
        assert_eq!(p.level("argo-catchup"), Level::Deny);
        assert_eq!(Policy::default().level("argo-catchup"), Level::Warn);
    }

    #[test]
    fn only_known_warning_codes_are_accepted() {
        let one = |c: &str| vec![c.to_string()];
        assert!(Lists::new(false, &one("argo-catchup"), &[], ("-D", "-A")).is_ok());
        let e = Lists::new(false, &one("argo-katchup"), &[], ("-D", "-A")).unwrap_err();
        assert!(e.contains("no such warning code"), "{e}");
        let e = Lists::new(false, &[], &one("cycle"), ("-D", "-A")).unwrap_err();
        assert!(e.contains("`cycle` is an error"), "{e}");
        let e = Lists::new(false, &one("tekton-ttl"), &one("tekton-ttl"), ("-D", "-A")).unwrap_err();
        assert!(e.contains("both denied"), "{e}");
    }
}
