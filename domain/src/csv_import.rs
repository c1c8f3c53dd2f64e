//! R-IMP1: validation of a CSV import file (format in docs/CONTRACT.md, "CSV import format").
//!
//! UTF-8 (a leading BOM is accepted), comma-separated, a header row first, columns in any
//! order: `name`, `email` (required), `products` (codes separated by `;`, or `*` for all Flex
//! products), `guest` (`true`/`false`, any case; empty means false). Header names are trimmed
//! and compared case-insensitively.
//!
//! The whole file is checked and every bad row reported with the physical line (1-based)
//! on which its record starts, so quoted fields spanning lines do not shift later numbers.
//! Hostile content is data: cells are stored as given and never interpreted; use
//! [`export_cell`] when writing them back to a spreadsheet-bound CSV.
use super::email::Email;
use super::names::{GroupName, PersonName};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

const HEADER_HINT: &str = "the first line must be a header such as name,email,products,guest";

/// A column the import understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Name,
    Email,
    Products,
    Guest,
    /// R-GRP1: names of the team's groups, separated by `;`.
    Groups,
}

impl Column {
    fn from_header(cell: &str) -> Option<Self> {
        match cell.trim().to_lowercase().as_str() {
            "name" => Some(Column::Name),
            "email" => Some(Column::Email),
            "products" => Some(Column::Products),
            "guest" => Some(Column::Guest),
            "groups" => Some(Column::Groups),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Email => "email",
            Column::Products => "products",
            Column::Guest => "guest",
            Column::Groups => "groups",
        }
    }
}

/// The products cell of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductSpec {
    /// `*`: all Flex products, including those added later (R-FX1 "all").
    All,
    /// Known product codes, spelt as in the catalogue. Empty for an empty cell or when the
    /// file has no `products` column.
    Codes(BTreeSet<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// 1-based physical line of the file on which the record starts.
    pub line: usize,
    /// `None` when the file has no `name` column or the cell is blank.
    pub name: Option<PersonName>,
    pub email: Email,
    pub products: ProductSpec,
    pub guest: bool,
    /// Groups of the team to put the person in (each once), as the file spells them; the
    /// store finds them by name in any case.
    #[serde(default)]
    pub groups: Vec<GroupName>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based physical line on which the bad record (or the header) starts.
    pub line: usize,
    /// Every problem of that record, joined with "; ".
    pub reason: String,
}

/// The import's outcome. JSON keys follow docs/CONTRACT.md (`rows`, `created`, `updated`,
/// `unchanged`, `errors`), plus `imported` and `dry_run`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Data records in the file (valid and invalid).
    pub rows: usize,
    /// Rows that made a new membership (a new account, or an account new to the team).
    pub created: usize,
    /// Rows of existing members that gained something: an assignment, Flex access, a
    /// changed guest flag, or a name where the account had none.
    pub updated: usize,
    /// Rows of existing members that already had everything the row lists.
    pub unchanged: usize,
    /// Every bad row, by line: validation errors and problems found against the team
    /// (products the team cannot use, seat limits).
    pub errors: Vec<RowError>,
    /// The rows were written (in a dry run: would be). `false` when errors stopped the
    /// import; then `created`, `updated` and `unchanged` are all 0.
    pub imported: bool,
    pub dry_run: bool,
}

impl ImportReport {
    /// The error message for a code the team can neither assign nor give with Flex.
    pub fn unusable_code(code: &str) -> String {
        format!("the team holds no subscription or trial for \"{code}\" and it is not available with Flex")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validated {
    pub rows: Vec<ImportRow>,
    /// At most one per line, in file order.
    pub errors: Vec<RowError>,
    /// Data records after the header, blank lines and rows of empty cells not counted.
    /// With a usable header, `rows.len() + errors.len() == total_rows`.
    pub total_rows: usize,
    /// The header's columns in file order (empty if the header itself was unusable).
    pub columns: Vec<Column>,
}

impl Validated {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Validates the whole file. `known_codes` are the product codes that exist; a code in the
/// file matches one of them exactly or, failing that, ignoring case (the catalogue's spelling
/// is kept). If the header is unusable only header errors are reported and no row is
/// checked (`rows` is empty, `total_rows` still counts the records).
pub fn validate(bytes: &[u8], known_codes: &BTreeSet<String>) -> Validated {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Validated::default();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        out.errors.push(RowError { line: 1, reason: format!("the file is empty; {HEADER_HINT}") });
        return out;
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut header: Option<Vec<Column>> = None;
    let mut header_ok = false;
    let mut first_seen: HashMap<Email, usize> = HashMap::new();
    let codes = CodeLookup::new(known_codes);
    let mut lines = LineCounter { bytes, offset: 0, line: 1 };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(1, |p| lines.line_at(p.byte() as usize));
                out.errors.push(RowError { line, reason: format!("the file could not be read as CSV: {e}") });
                break;
            }
        }
        let line = record.position().map_or(1, |p| lines.line_at(p.byte() as usize));
        let Some(columns) = &header else {
            match parse_header(&record) {
                Ok(cols) => {
                    header_ok = true;
                    out.columns = cols.clone();
                    header = Some(cols);
                }
                Err(reason) => {
                    out.errors.push(RowError { line, reason });
                    header = Some(Vec::new());
                }
            }
            continue;
        };
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        out.total_rows += 1;
        if !header_ok {
            continue;
        }
        match check_row(&record, columns, &codes, line, &mut first_seen) {
            Ok(row) => out.rows.push(row),
            Err(reasons) => out.errors.push(RowError { line, reason: reasons.join("; ") }),
        }
    }
    out
}

/// Physical line numbers from byte offsets. The csv crate's own `Position::line` is taken
/// before the terminator of the previous line and any blank lines are skipped, so it is off
/// by one after CRLF or blank lines; its byte offset is exact up to those skipped bytes.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl LineCounter<'_> {
    /// The 1-based line of the first byte at or after `from` that is not a line terminator.
    /// Offsets must not decrease between calls. `\n`, `\r\n` and a lone `\r` each end a line.
    fn line_at(&mut self, from: usize) -> usize {
        let mut start = from.min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.max(self.offset);
        for i in self.offset..start {
            match self.bytes[i] {
                b'\n' => self.line += 1,
                b'\r' if self.bytes.get(i + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.offset = start;
        self.line
    }
}

fn parse_header(record: &csv::ByteRecord) -> Result<Vec<Column>, String> {
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in record.iter().enumerate() {
        let Ok(cell) = std::str::from_utf8(raw) else {
            return Err("the header is not valid UTF-8 text; save the file as UTF-8".to_string());
        };
        let cell = cell.trim();
        if cell.is_empty() {
            problems.push(format!("column {} of the header has no name", i + 1));
            continue;
        }
        match Column::from_header(cell) {
            Some(col) if columns.contains(&col) => {
                problems.push(format!("column \"{}\" appears more than once", col.as_str()))
            }
            Some(col) => columns.push(col),
            None => problems.push(format!("unknown column \"{cell}\"")),
        }
    }
    if !columns.contains(&Column::Email) {
        problems.push("there is no email column".to_string());
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        problems.push(HEADER_HINT.to_string());
        Err(problems.join("; "))
    }
}

struct CodeLookup<'a> {
    known: &'a BTreeSet<String>,
    by_lower: HashMap<String, &'a String>,
}

impl<'a> CodeLookup<'a> {
    fn new(known: &'a BTreeSet<String>) -> Self {
        CodeLookup { known, by_lower: known.iter().map(|c| (c.to_lowercase(), c)).collect() }
    }

    fn resolve(&self, code: &str) -> Option<&'a String> {
        self.known.get(code).or_else(|| self.by_lower.get(&code.to_lowercase()).copied())
    }
}

fn check_row(
    record: &csv::ByteRecord,
    columns: &[Column],
    codes: &CodeLookup<'_>,
    line: usize,
    first_seen: &mut HashMap<Email, usize>,
) -> Result<ImportRow, Vec<String>> {
    if record.len() != columns.len() {
        let n = record.len();
        let mut reason = format!(
            "this row has {n} field{} but the header has {} column{}",
            if n == 1 { "" } else { "s" },
            columns.len(),
            if columns.len() == 1 { "" } else { "s" }
        );
        if n > columns.len() {
            reason.push_str("; put double quotes around values that contain commas");
        }
        return Err(vec![reason]);
    }
    let mut cells: HashMap<Column, &str> = HashMap::new();
    let mut reasons = Vec::new();
    for (col, raw) in columns.iter().zip(record.iter()) {
        match std::str::from_utf8(raw) {
            Ok(s) => {
                cells.insert(*col, s);
            }
            Err(_) => reasons
                .push(format!("the {} value is not valid UTF-8 text; save the file as UTF-8", col.as_str())),
        }
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let cell = |c: Column| cells.get(&c).copied().unwrap_or("");

    let email = Email::parse(cell(Column::Email)).map_err(|e| reasons.push(e.to_string())).ok();
    let name_cell = cell(Column::Name);
    let name = if name_cell.trim().is_empty() {
        None
    } else {
        PersonName::parse(import_cell(name_cell)).map_err(|e| reasons.push(e.to_string())).ok()
    };
    let products = parse_products(cell(Column::Products), codes).map_err(|r| reasons.extend(r)).ok();
    let guest = match cell(Column::Guest).trim().to_lowercase().as_str() {
        "" | "false" => Some(false),
        "true" => Some(true),
        _ => {
            reasons.push(format!("guest must be true or false, not \"{}\"", cell(Column::Guest).trim()));
            None
        }
    };
    let groups = parse_groups(cell(Column::Groups)).map_err(|r| reasons.extend(r)).ok();
    if let Some(email) = &email {
        if let Some(first) = first_seen.get(email) {
            reasons.push(format!("{email} already appears on line {first}"));
        } else {
            first_seen.insert(email.clone(), line);
        }
    }
    match (email, products, guest, groups) {
        (Some(email), Some(products), Some(guest), Some(groups)) if reasons.is_empty() => {
            Ok(ImportRow { line, name, email, products, guest, groups })
        }
        _ => Err(reasons),
    }
}

/// The groups cell: names separated by `;`, each a valid group name, each once (by its
/// lower-case key).
fn parse_groups(cell: &str) -> Result<Vec<GroupName>, Vec<String>> {
    let mut names: Vec<GroupName> = Vec::new();
    let mut reasons = Vec::new();
    for part in cell.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match GroupName::parse(import_cell(part)) {
            Ok(n) if names.iter().any(|m| m.key() == n.key()) => {}
            Ok(n) => names.push(n),
            Err(e) => reasons.push(format!("group \"{}\": {e}", part.chars().take(40).collect::<String>())),
        }
    }
    if reasons.is_empty() {
        Ok(names)
    } else {
        Err(reasons)
    }
}

fn parse_products(cell: &str, codes: &CodeLookup<'_>) -> Result<ProductSpec, Vec<String>> {
    let parts: Vec<&str> = cell.split(';').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.contains(&"*") {
        return if parts.len() == 1 {
            Ok(ProductSpec::All)
        } else {
            Err(vec!["products \"*\" means all Flex products; use it alone, not with product codes".into()])
        };
    }
    let mut found = BTreeSet::new();
    let mut reasons = Vec::new();
    for code in parts {
        match codes.resolve(code) {
            Some(known) => {
                found.insert(known.clone());
            }
            None => reasons.push(format!("unknown product code \"{code}\"")),
        }
    }
    if reasons.is_empty() {
        Ok(ProductSpec::Codes(found))
    } else {
        Err(reasons)
    }
}

/// A cell made safe for spreadsheets (OWASP "CSV injection"): text starting with `=`, `+`,
/// `-`, `@`, tab or carriage return gets a leading `'` so it is not run as a formula.
/// Apply it to text cells only (it would also prefix a negative number). Quoting of commas
/// and quotes is the CSV writer's job.
pub fn export_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The inverse of [`export_cell`]: the `'` it put before a formula character is taken off
/// again, so a name exported and imported back is the name it was (and a name at the length
/// limit still fits).
pub fn import_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_defused_cell_imports_back_as_it_was() {
        for name in ["=Sum Bot", "+Plus", "-Dash", "@Handle", "Ada Lovelace", "'Quoted", "O'Brien"] {
            assert_eq!(import_cell(&export_cell(name)), name, "{name}");
        }
        let longest = format!("={}", "x".repeat(99));
        let v =
            validate(format!("name,email\n{},ada@example.com\n", export_cell(&longest)).as_bytes(), &known());
        assert_eq!(v.rows.len(), 1, "a 100-character name survives its defusing: {:?}", v.errors);
        assert_eq!(v.rows[0].name.as_ref().map(|n| n.as_str()), Some(longest.as_str()));
    }

    fn known() -> BTreeSet<String> {
        ["DRAFT2D", "MODEL3D", "RENDER"].iter().map(|s| s.to_string()).collect()
    }

    fn run(text: &str) -> Validated {
        validate(text.as_bytes(), &known())
    }

    fn codes(list: &[&str]) -> ProductSpec {
        ProductSpec::Codes(list.iter().map(|s| s.to_string()).collect())
    }

    fn errors(v: &Validated) -> Vec<(usize, &str)> {
        v.errors.iter().map(|e| (e.line, e.reason.as_str())).collect()
    }

    #[test]
    fn reads_a_simple_file() {
        let v = run("name,email,products,guest\nAda Lovelace,Ada@Example.com,DRAFT2D;MODEL3D,false\n\
                     Bob,bob@example.com,,TRUE\n");
        assert!(v.is_clean(), "{:?}", v.errors);
        assert_eq!(v.total_rows, 2);
        assert_eq!(v.columns, [Column::Name, Column::Email, Column::Products, Column::Guest]);
        assert_eq!(
            v.rows[0],
            ImportRow {
                line: 2,
                name: Some(PersonName::parse("Ada Lovelace").unwrap()),
                email: Email::parse("ada@example.com").unwrap(),
                products: codes(&["DRAFT2D", "MODEL3D"]),
                guest: false,
                groups: vec![],
            }
        );
        assert_eq!(v.rows[1].line, 3);
        assert_eq!(v.rows[1].products, codes(&[]));
        assert!(v.rows[1].guest);
    }

    #[test]
    fn reads_groups_each_once_and_names_a_bad_one() {
        let v = run("email,groups\nada@example.com,Design team; design TEAM ;Modelling\nbob@example.com,\n");
        assert!(v.is_clean(), "{:?}", v.errors);
        let names: Vec<&str> = v.rows[0].groups.iter().map(GroupName::as_str).collect();
        assert_eq!(names, ["Design team", "Modelling"]);
        assert!(v.rows[1].groups.is_empty());
        let long = "x".repeat(81);
        let v = run(&format!("email,groups\nada@example.com,{long}\n"));
        assert_eq!(v.errors.len(), 1);
        assert!(v.errors[0].reason.starts_with("group \"xxxx"), "{:?}", v.errors);
    }

    #[test]
    fn accepts_a_bom() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(b"email,name\nada@example.com,Ada\n");
        let v = validate(&bytes, &known());
        assert!(v.is_clean(), "{:?}", v.errors);
        assert_eq!(v.columns, [Column::Email, Column::Name]);
        assert_eq!(v.rows[0].name.as_ref().unwrap().as_str(), "Ada");
    }

    #[test]
    fn columns_in_any_order_and_header_case_and_spaces_ignored() {
        let v = run(" Guest , PRODUCTS,Email ,name\ntrue,render,ada@example.com,Ada\n");
        assert!(v.is_clean(), "{:?}", v.errors);
        let row = &v.rows[0];
        assert!(row.guest);
        assert_eq!(row.products, codes(&["RENDER"]), "code matched ignoring case, catalogue spelling kept");
        assert_eq!(row.email.as_str(), "ada@example.com");
    }

    #[test]
    fn email_only_is_enough() {
        let v = run("email\nada@example.com\n");
        assert!(v.is_clean());
        assert_eq!(v.rows[0].name, None);
        assert_eq!(v.rows[0].products, codes(&[]));
        assert!(!v.rows[0].guest);
    }

    #[test]
    fn unknown_column_is_reported_on_line_1() {
        let v = run("name,email,department\nAda,ada@example.com,Maths\n");
        assert_eq!(
            errors(&v),
            [(
                1,
                "unknown column \"department\"; \
                 the first line must be a header such as name,email,products,guest"
            )]
        );
        assert!(v.rows.is_empty());
        assert_eq!(v.total_rows, 1);
        assert!(v.columns.is_empty());
    }

    #[test]
    fn missing_email_column() {
        let v = run("name,products\nAda,DRAFT2D\n");
        assert_eq!(
            errors(&v),
            [(
                1,
                "there is no email column; the first line must be a header such as name,email,products,guest"
            )]
        );
    }

    #[test]
    fn header_problems_are_all_named() {
        let v = run("email,Email,,x\n");
        assert_eq!(v.errors.len(), 1);
        let reason = &v.errors[0].reason;
        assert!(reason.contains("column \"email\" appears more than once"), "{reason}");
        assert!(reason.contains("column 3 of the header has no name"), "{reason}");
        assert!(reason.contains("unknown column \"x\""), "{reason}");
    }

    #[test]
    fn a_missing_header_is_explained() {
        let v = run("Ada,ada@example.com\n");
        assert_eq!(v.errors[0].line, 1);
        assert!(v.errors[0].reason.starts_with("unknown column \"Ada\"; unknown column \"ada@example.com\""));
        assert!(v.errors[0].reason.ends_with(HEADER_HINT));
    }

    #[test]
    fn empty_file_and_header_only() {
        for empty in ["", "\u{feff}", "\n\r\n  \n"] {
            let v = run(empty);
            assert_eq!(
                errors(&v),
                [(1, "the file is empty; the first line must be a header such as name,email,products,guest")],
                "{empty:?}"
            );
        }
        let v = run("name,email,products,guest\n");
        assert!(v.is_clean());
        assert_eq!(v.total_rows, 0);
        assert!(v.rows.is_empty());
        let v = run("name,email,products,guest");
        assert!(v.is_clean());
    }

    #[test]
    fn bad_rows_among_many_are_reported_with_their_lines() {
        let mut text = String::from("name,email,products,guest\n");
        for i in 2..=40 {
            let row = match i {
                7 => "Bad Email,not-an-email,DRAFT2D,false".to_string(),
                19 => format!("Person {i},p{i}@example.com,XYZ,false"),
                33 => format!("Person {i},p{i}@example.com,,maybe"),
                _ => format!("Person {i},p{i}@example.com,DRAFT2D,false"),
            };
            text.push_str(&row);
            text.push('\n');
        }
        let v = run(&text);
        assert_eq!(v.total_rows, 39);
        assert_eq!(v.rows.len(), 36);
        assert_eq!(
            errors(&v),
            [
                (7, "email address \"not-an-email\" has no @"),
                (19, "unknown product code \"XYZ\""),
                (33, "guest must be true or false, not \"maybe\""),
            ]
        );
        assert_eq!(v.rows.last().unwrap().line, 40);
    }

    #[test]
    fn every_problem_of_a_row_is_listed() {
        let v = run("name,email,products,guest\nAda <x>,bad,ABC;DRAFT2D;QQ,yes\n");
        assert_eq!(
            errors(&v),
            [(
                2,
                "email address \"bad\" has no @; \
                 name contains the character '<', which is not allowed; \
                 unknown product code \"ABC\"; unknown product code \"QQ\"; \
                 guest must be true or false, not \"yes\""
            )]
        );
    }

    #[test]
    fn star_means_all_flex_products() {
        let v = run("email,products\nada@example.com,*\nbob@example.com, * \ncy@example.com,*;DRAFT2D\n");
        assert_eq!(v.rows[0].products, ProductSpec::All);
        assert_eq!(v.rows[1].products, ProductSpec::All);
        assert_eq!(
            errors(&v),
            [(4, "products \"*\" means all Flex products; use it alone, not with product codes")]
        );
    }

    #[test]
    fn product_list_tolerates_spaces_and_empty_parts() {
        let v = run("email,products\nada@example.com, DRAFT2D ; ;model3d;DRAFT2D;\n");
        assert_eq!(v.rows[0].products, codes(&["DRAFT2D", "MODEL3D"]));
    }

    #[test]
    fn duplicate_email_is_an_error_on_the_later_occurrence() {
        let v = run("name,email\nX,x@example.com\nAda,ada@example.com\nAda again,ADA@example.com\n");
        assert_eq!(errors(&v), [(4, "ada@example.com already appears on line 3")]);
        assert_eq!(v.rows.len(), 2);
    }

    #[test]
    fn wrong_field_count() {
        let v = run("name,email,guest\nAda,ada@example.com\n\
                     Lovelace, Ada,ada2@example.com,false\nok,ok@example.com,false\n");
        assert_eq!(
            errors(&v),
            [
                (2, "this row has 2 fields but the header has 3 columns"),
                (
                    3,
                    "this row has 4 fields but the header has 3 columns; \
                     put double quotes around values that contain commas"
                ),
            ]
        );
        assert_eq!(v.rows.len(), 1);
        assert_eq!(v.rows[0].line, 4);
    }

    #[test]
    fn quoted_commas_and_newlines_keep_line_numbers_right() {
        let text = "name,email,products\n\
                    \"Lovelace, Ada\",ada@example.com,DRAFT2D\n\
                    \"Multi\nLine\nName\",multi@example.com,\"MODEL3D;\nRENDER\"\n\
                    Bad,bad@,DRAFT2D\n\
                    \"Quote \"\"Q\"\" Person\",q@example.com,\n";
        let v = run(text);
        assert_eq!(v.total_rows, 4);
        assert_eq!(v.rows[0].name.as_ref().unwrap().as_str(), "Lovelace, Ada");
        assert_eq!(v.rows[1].line, 3);
        // Newlines inside a name collapse like any other whitespace.
        assert_eq!(v.rows[1].name.as_ref().unwrap().as_str(), "Multi Line Name");
        assert_eq!(v.rows[1].products, codes(&["MODEL3D", "RENDER"]));
        assert_eq!(errors(&v), [(7, "email address \"bad@\" has no domain after the @")]);
        assert_eq!(v.rows[2].line, 8);
        assert_eq!(v.rows[2].name.as_ref().unwrap().as_str(), "Quote \"Q\" Person");
    }

    #[test]
    fn crlf_line_endings() {
        let v =
            run("name,email,guest\r\nAda,ada@example.com,true\r\nBob,bob@,false\r\nCy,cy@example.com,\r\n");
        assert_eq!(v.total_rows, 3);
        assert_eq!(errors(&v), [(3, "email address \"bob@\" has no domain after the @")]);
        assert_eq!(v.rows[0].line, 2);
        assert!(v.rows[0].guest);
        assert_eq!(v.rows[1].line, 4);
        assert!(!v.rows[1].guest);
    }

    #[test]
    fn blank_lines_are_skipped_but_counted_in_line_numbers() {
        let v = run("\nname,email\n\nAda,ada@example.com\n,\n  ,  \nBob,bob@\n");
        assert_eq!(v.total_rows, 2);
        assert_eq!(v.rows[0].line, 4);
        assert_eq!(errors(&v), [(7, "email address \"bob@\" has no domain after the @")]);
    }

    #[test]
    fn header_after_blank_lines_is_reported_on_its_own_line() {
        let v = run("\r\n\r\nname,email,team\r\nAda,ada@example.com,x\r\n");
        assert_eq!(v.errors[0].line, 3);
        assert!(v.errors[0].reason.starts_with("unknown column \"team\""));
    }

    #[test]
    fn lone_cr_and_mixed_line_endings() {
        let v = run("email\rbad\r\nok@example.com\n\r\nworse\r");
        assert_eq!(
            errors(&v),
            [(2, "email address \"bad\" has no @"), (5, "email address \"worse\" has no @")]
        );
        assert_eq!(v.rows[0].line, 3);
    }

    #[test]
    fn quoted_crlf_inside_a_field_counts_once() {
        let v = run("name,email\r\n\"Two\r\nLines\",two@example.com\r\nBad,bad\r\n");
        assert_eq!(v.rows[0].line, 2);
        assert_eq!(errors(&v), [(4, "email address \"bad\" has no @")]);
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let bytes = b"name,email\nAda,ada@example.com\nJos\xE9,jose@example.com\n";
        let v = validate(bytes, &known());
        assert_eq!(errors(&v), [(3, "the name value is not valid UTF-8 text; save the file as UTF-8")]);
        assert_eq!(v.rows.len(), 1);
        let v = validate(b"n\xE9me,email\n", &known());
        assert_eq!(errors(&v), [(1, "the header is not valid UTF-8 text; save the file as UTF-8")]);
    }

    #[test]
    fn formulas_stay_data_and_are_escaped_on_export() {
        let hostile = "=cmd|' /C calc'!A0";
        let text = format!("name,email\n\"{hostile}\",ada@example.com\n");
        let v = run(&text);
        assert!(v.is_clean(), "{:?}", v.errors);
        let name = v.rows[0].name.as_ref().unwrap().as_str();
        assert_eq!(name, hostile, "stored exactly as given");
        assert_eq!(export_cell(name), "'=cmd|' /C calc'!A0");
    }

    #[test]
    fn export_cell_prefixes_only_dangerous_starts() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(export_cell(s), format!("'{s}"));
        }
        for s in ["", "Ada", "a=b", " =1", "'quoted", "ada@example.com"] {
            assert_eq!(export_cell(s), s);
        }
    }

    #[test]
    fn row_error_serialises_as_the_contract_says() {
        let e = RowError { line: 3, reason: "x".into() };
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"line":3,"reason":"x"}"#);
    }
}
