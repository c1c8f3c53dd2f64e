//! Every rule id (`R-…`) the code, tests, scripts and README cite is a rule in
//! `docs/RULES.md`, and every `docs/…` file they name exists: a reference a reader cannot
//! follow inside the repository is a broken one.
use crate::common;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The cited sources: everything but docs/ itself.
fn sources() -> Vec<(PathBuf, String)> {
    let dirs = [
        "src",
        "app/src",
        "domain/src",
        "client/src",
        "testkit/src",
        "tests",
        "end2end",
        "migrations",
        "scripts",
        "bench",
        "examples",
        "fuzz",
    ];
    let mut paths: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|dir| {
            common::files_under(&common::root().join(dir), &["rs", "sh", "sql", "toml", "py", "md"])
        })
        .collect();
    paths.push(common::root().join("README.md"));
    paths.push(common::root().join("ARCHITECTURE.md"));
    paths.into_iter().filter_map(|p| std::fs::read_to_string(&p).ok().map(|text| (p, text))).collect()
}

/// `R-` followed by capitals and digits: `R-LIC4`, the first id of `R-LIC1..5`.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (at, _) in text.match_indices("R-") {
        if text[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let rest = &text[at + 2..];
        let letters = rest.chars().take_while(char::is_ascii_uppercase).count();
        let digits = rest[letters..].chars().take_while(char::is_ascii_digit).count();
        if letters > 0 && digits > 0 {
            ids.insert(format!("R-{}", &rest[..letters + digits]));
        }
    }
    ids
}

#[test]
fn every_cited_rule_id_is_a_rule_in_docs_rules_md() {
    let rules = std::fs::read_to_string(common::root().join("docs/RULES.md")).expect("docs/RULES.md");
    let defined: BTreeSet<String> = rules
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .filter_map(|h| rule_ids(h).into_iter().next())
        .collect();
    assert!(defined.len() >= 25, "docs/RULES.md defines only {defined:?}");
    let mut cited = 0;
    let mut unknown = Vec::new();
    for (path, text) in sources() {
        for id in rule_ids(&text) {
            cited += 1;
            if !defined.contains(&id) {
                unknown.push(format!(
                    "{id} in {}",
                    path.strip_prefix(common::root()).unwrap_or(&path).display()
                ));
            }
        }
    }
    assert!(cited > 50, "found only {cited} citations: is the scan looking in the right folders?");
    assert!(unknown.is_empty(), "cited but not in docs/RULES.md: {unknown:#?}");
}

#[test]
fn every_docs_file_named_in_the_code_exists() {
    let mut missing = BTreeSet::new();
    for (path, text) in sources() {
        for (at, _) in text.match_indices("docs/") {
            let name: String =
                text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c)).collect();
            let name = name.trim_end_matches('.');
            if !common::root().join(name).exists() {
                missing.insert(format!(
                    "{name} in {}",
                    path.strip_prefix(common::root()).unwrap_or(&path).display()
                ));
            }
        }
    }
    assert!(missing.is_empty(), "named but not in the repository: {missing:#?}");
}

#[test]
fn the_rule_id_scan_reads_ids_and_ranges() {
    assert_eq!(
        rule_ids("R-LIC4, (R-UM1..3) and xR-NO1, R-, R-X"),
        ["R-LIC4", "R-UM1"].into_iter().map(String::from).collect()
    );
}
