//! R-IMP1 CSV import validation on arbitrary bytes.
//!
//! Beyond "does not panic": the counts and line numbers agree with the file, every accepted
//! row holds values that parse again to themselves, and writing the accepted rows back out
//! as CSV and validating that file yields the same rows.
#![no_main]

use app::domain::csv_import::{validate, Column, ImportRow, ProductSpec, Validated};
use app::domain::{Email, PersonName};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

fn known() -> &'static BTreeSet<String> {
    static KNOWN: OnceLock<BTreeSet<String>> = OnceLock::new();
    KNOWN.get_or_init(|| ["DRAFT2D", "MODEL3D", "RENDER"].iter().map(|s| s.to_string()).collect())
}

/// Physical lines as the validator counts them: `\n`, `\r\n` and a lone `\r` each end one.
fn physical_lines(bytes: &[u8]) -> usize {
    let mut n = 1;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\n' => n += 1,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => n += 1,
            _ => {}
        }
    }
    n
}

fn check(bytes: &[u8]) -> Validated {
    let v = validate(bytes, known());
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let lines = physical_lines(body);

    // Never more records than lines, and every reported line exists in the file.
    assert!(
        v.rows.len() + v.errors.len() <= lines,
        "{} rows + {} errors > {lines} lines",
        v.rows.len(),
        v.errors.len()
    );
    // The first record is the header, so at most lines - 1 data records.
    assert!(v.total_rows < lines, "total_rows {} with {lines} lines", v.total_rows);
    for line in v.rows.iter().map(|r| r.line).chain(v.errors.iter().map(|e| e.line)) {
        assert!((1..=lines).contains(&line), "line {line} outside 1..={lines}");
    }
    // File order, at most one entry per line, rows and errors on distinct lines.
    assert!(v.rows.windows(2).all(|w| w[0].line < w[1].line), "row lines not increasing");
    assert!(v.errors.windows(2).all(|w| w[0].line < w[1].line), "error lines not increasing");
    let error_lines: HashSet<usize> = v.errors.iter().map(|e| e.line).collect();
    assert!(v.rows.iter().all(|r| !error_lines.contains(&r.line)), "a line is both a row and an error");
    assert!(v.errors.iter().all(|e| !e.reason.is_empty()), "an error without a reason");

    if v.columns.is_empty() {
        assert!(v.rows.is_empty(), "rows accepted without a usable header");
    } else {
        assert!(v.columns.contains(&Column::Email));
        assert_eq!(v.rows.len() + v.errors.len(), v.total_rows, "every record is a row or an error");
        assert!(v.rows.iter().all(|r| r.line > 1), "a row on the header's line");
    }

    let mut emails = HashSet::new();
    for row in &v.rows {
        assert_eq!(Email::parse(row.email.as_str()).as_ref(), Ok(&row.email), "email does not re-parse");
        if let Some(name) = &row.name {
            assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(name), "name does not re-parse");
        }
        if let ProductSpec::Codes(codes) = &row.products {
            assert!(codes.is_subset(known()), "unknown code accepted: {codes:?}");
        }
        assert!(emails.insert(row.email.clone()), "duplicate email accepted: {}", row.email);
    }
    v
}

fn write_back(rows: &[ImportRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["name", "email", "products", "guest"]).unwrap();
    for r in rows {
        let products = match &r.products {
            ProductSpec::All => "*".to_string(),
            ProductSpec::Codes(c) => c.iter().cloned().collect::<Vec<_>>().join(";"),
        };
        let name = r.name.as_ref().map_or("", |n| n.as_str());
        w.write_record([name, r.email.as_str(), &products, if r.guest { "true" } else { "false" }]).unwrap();
    }
    w.into_inner().unwrap()
}

fuzz_target!(|data: &[u8]| {
    let v = check(data);
    if v.rows.is_empty() {
        return;
    }
    let again = check(&write_back(&v.rows));
    assert!(again.is_clean(), "accepted rows are refused when written back: {:?}", again.errors);
    assert_eq!(again.rows.len(), v.rows.len());
    for (a, b) in v.rows.iter().zip(&again.rows) {
        assert_eq!((&a.name, &a.email, &a.products, a.guest), (&b.name, &b.email, &b.products, b.guest));
    }
});
