//! R-DIR1: the protocol half of directory sync. A company's directory (Okta, Microsoft Entra
//! ID) provisions people and groups into one team over SCIM 2.0 (RFC 7643 resources, RFC 7644
//! protocol). This module is what the HTTP routes and the store lean on and does no I/O: it
//! parses filters, PATCH bodies and resources, renders Tessera's users and groups, pages,
//! projects, and answers the discovery documents.
//!
//! The directories are the real specification. Both deviate from the RFCs in small ways that
//! a strict reader would refuse, and a refused request stops the sync of that person until an
//! admin intervenes, so the readers here accept what Okta and Entra ID actually send (booleans
//! as "True"/"False", `operations` in lower case, dotted keys inside path-less values) while
//! still refusing what would silently corrupt a record (changing `id`, removing `userName`).
//!
//! Attributes Tessera does not store (`title`, `phoneNumbers`, the enterprise extension, ...)
//! are accepted and ignored rather than refused: a directory maps them by default, and a
//! refusal would break provisioning for an attribute nobody here reads.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Constants

pub const MEDIA_TYPE: &str = "application/scim+json";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Page size when the directory names none.
pub const DEFAULT_COUNT: usize = 100;
/// Largest page served; also advertised as `filter.maxResults`.
pub const MAX_COUNT: usize = 1000;

// ---------------------------------------------------------------------------------------------
// Errors (RFC 7644 §3.12)

/// The `scimType` of an error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: the HTTP status, the SCIM error type when the RFC defines one, and a
/// sentence for the directory's admin (Okta and Entra ID show `detail` in their logs).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SCIM {status}: {detail}")]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into() }
    }
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidFilter), detail)
    }
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::TooMany), detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::Mutability), detail)
    }
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidSyntax), detail)
    }
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidPath), detail)
    }
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::NoTarget), detail)
    }
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidValue), detail)
    }

    /// The response body. `status` is a string because RFC 7644 §3.12 says so, even though
    /// it is a number everywhere else.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("schemas".into(), json!([ERROR_SCHEMA]));
        body.insert("status".into(), Value::String(self.status.to_string()));
        if let Some(t) = self.scim_type {
            body.insert("scimType".into(), Value::String(t.as_str().into()));
        }
        body.insert("detail".into(), Value::String(self.detail.clone()));
        Value::Object(body)
    }
}

// ---------------------------------------------------------------------------------------------
// Filters (RFC 7644 §3.4.2.2)

/// An attribute reference: `userName`, `name.givenName`, or one qualified by a schema URN.
/// Names are lowercased because SCIM attribute names are case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The extension schema the attribute belongs to, lowercased. `None` for core attributes,
    /// whether or not they were qualified with the core User or Group URN.
    pub schema: Option<String>,
    pub attribute: String,
    pub sub_attribute: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: the inner filter is evaluated against each element of the
    /// multi-valued attribute, so both of its conditions must hold for the same element.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Word(String),
    Str(String),
    Num(serde_json::Number),
}

struct Token {
    tok: Tok,
    /// 1-based character position, for error messages an admin can count along.
    pos: usize,
}

fn positioned(kind: ScimType, pos: usize, msg: impl fmt::Display) -> ScimError {
    let what = if kind == ScimType::InvalidPath { "path" } else { "filter" };
    ScimError::new(400, Some(kind), format!("invalid {what}: {msg} at position {pos}"))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '$')
}

fn lex(input: &str, kind: ScimType) -> Result<Vec<Token>, ScimError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(input.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&(_, c)) = chars.get(i) {
        let pos = i + 1;
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token { tok, pos });
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut j = i + 1;
            let mut close = None;
            while let Some(&(_, d)) = chars.get(j) {
                match d {
                    '\\' => j += 2,
                    '"' => {
                        close = Some(j);
                        break;
                    }
                    _ => j += 1,
                }
            }
            let Some(end) = close else {
                return Err(positioned(kind, pos, "unterminated string"));
            };
            // The literal is a JSON string, so serde_json decodes every escape RFC 7159 allows.
            let text = &input[byte_at(i)..byte_at(end + 1)];
            let s: String =
                serde_json::from_str(text).map_err(|_| positioned(kind, pos, "invalid string literal"))?;
            out.push(Token { tok: Tok::Str(s), pos });
            i = end + 1;
        } else if c == '-' || c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(|(_, d)| matches!(d, '0'..='9' | '.' | 'e' | 'E' | '+' | '-')) {
                i += 1;
            }
            let text = &input[byte_at(start)..byte_at(i)];
            let n: serde_json::Number = serde_json::from_str(text)
                .map_err(|_| positioned(kind, pos, format!("invalid number `{text}`")))?;
            out.push(Token { tok: Tok::Num(n), pos });
        } else if is_word_char(c) {
            let start = i;
            while chars.get(i).is_some_and(|(_, d)| is_word_char(*d)) {
                i += 1;
            }
            out.push(Token { tok: Tok::Word(input[byte_at(start)..byte_at(i)].to_string()), pos });
        } else {
            return Err(positioned(kind, pos, format!("unexpected character `{c}`")));
        }
    }
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    // `$ref` is the one RFC 7643 attribute name that does not start with a letter.
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_core_schema(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(USER_SCHEMA) || urn.eq_ignore_ascii_case(GROUP_SCHEMA)
}

/// Splits `[URN ":"] name ["." sub]`. The URN ends at its last colon because URNs contain
/// dots (`2.0`) but attribute names contain no colons.
fn attr_path(word: &str) -> Result<AttrPath, String> {
    let (schema, rest) = if word.to_ascii_lowercase().starts_with("urn:") {
        match word.rfind(':') {
            Some(i) => (Some(&word[..i]), &word[i + 1..]),
            None => (None, word),
        }
    } else {
        (None, word)
    };
    if rest.is_empty() {
        return Err(format!("`{word}` names no attribute"));
    }
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    if !valid_name(attr) || sub.is_some_and(|s| !valid_name(s)) {
        return Err(format!("`{word}` is not an attribute name"));
    }
    Ok(AttrPath {
        schema: schema.filter(|u| !is_core_schema(u)).map(|u| u.to_ascii_lowercase()),
        attribute: attr.to_ascii_lowercase(),
        sub_attribute: sub.map(|s| s.to_ascii_lowercase()),
    })
}

fn compare_op(word: &str) -> Option<CompareOp> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "co" => CompareOp::Co,
        "sw" => CompareOp::Sw,
        "ew" => CompareOp::Ew,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        _ => return None,
    })
}

/// Deep enough for any filter a directory sends, shallow enough that a hostile one cannot
/// exhaust the stack.
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    end: usize,
    kind: ScimType,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.pos)
    }
    fn fail(&self, msg: impl fmt::Display) -> ScimError {
        positioned(self.kind, self.pos(), msg)
    }
    fn describe(&self) -> String {
        match self.peek() {
            None => "the end".into(),
            Some(Tok::LParen) => "`(`".into(),
            Some(Tok::RParen) => "`)`".into(),
            Some(Tok::LBracket) => "`[`".into(),
            Some(Tok::RBracket) => "`]`".into(),
            Some(Tok::Word(w)) => format!("`{w}`"),
            Some(Tok::Str(s)) => format!("string {s:?}"),
            Some(Tok::Num(n)) => format!("number {n}"),
        }
    }
    fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn consume(&mut self, tok: Tok, what: &str) -> Result<(), ScimError> {
        if self.peek() == Some(&tok) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.fail(format!("expected {what}, found {}", self.describe())))
        }
    }

    fn or(&mut self, in_value: bool) -> Result<Filter, ScimError> {
        let mut left = self.and(in_value)?;
        while self.at_keyword("or") {
            self.i += 1;
            let right = self.and(in_value)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, in_value: bool) -> Result<Filter, ScimError> {
        let mut left = self.unary(in_value)?;
        while self.at_keyword("and") {
            self.i += 1;
            let right = self.unary(in_value)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, in_value: bool) -> Result<Filter, ScimError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fail("filter nested too deeply"));
        }
        self.depth += 1;
        let result = self.unary_inner(in_value);
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self, in_value: bool) -> Result<Filter, ScimError> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.i += 1;
                let f = self.or(in_value)?;
                self.consume(Tok::RParen, "`)`")?;
                Ok(f)
            }
            Some(Tok::Word(w))
                if w.eq_ignore_ascii_case("not")
                    && matches!(self.toks.get(self.i + 1).map(|t| &t.tok), Some(Tok::LParen)) =>
            {
                self.i += 2;
                let f = self.or(in_value)?;
                self.consume(Tok::RParen, "`)`")?;
                Ok(Filter::Not(Box::new(f)))
            }
            Some(Tok::Word(w)) => {
                let path = attr_path(&w).map_err(|m| self.fail(m))?;
                self.i += 1;
                self.after_attribute(path, in_value)
            }
            _ => Err(self.fail(format!("expected an attribute, `(` or `not`, found {}", self.describe()))),
        }
    }

    fn after_attribute(&mut self, path: AttrPath, in_value: bool) -> Result<Filter, ScimError> {
        match self.peek().cloned() {
            Some(Tok::LBracket) => {
                if in_value {
                    return Err(self.fail("value filters cannot be nested"));
                }
                if path.sub_attribute.is_some() {
                    return Err(self.fail("a value filter cannot follow a sub-attribute"));
                }
                self.i += 1;
                let inner = self.or(true)?;
                self.consume(Tok::RBracket, "`]`")?;
                Ok(Filter::ValuePath { path, filter: Box::new(inner) })
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("pr") => {
                self.i += 1;
                Ok(Filter::Present(path))
            }
            Some(Tok::Word(w)) => {
                let Some(op) = compare_op(&w) else {
                    return Err(self.fail(format!("expected an operator, found `{w}`")));
                };
                self.i += 1;
                let value_pos = self.pos();
                let value = self.literal()?;
                let ordering = matches!(op, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le);
                if ordering && (value.is_boolean() || value.is_null()) {
                    // RFC 7644 §3.4.2.2: ordering booleans "SHALL" fail with invalidFilter.
                    return Err(positioned(self.kind, value_pos, format!("`{w}` cannot compare {value}")));
                }
                Ok(Filter::Compare { path, op, value })
            }
            _ => Err(self.fail(format!("expected an operator, found {}", self.describe()))),
        }
    }

    fn literal(&mut self) -> Result<Value, ScimError> {
        let value = match self.peek() {
            Some(Tok::Str(s)) => Value::String(s.clone()),
            Some(Tok::Num(n)) => Value::Number(n.clone()),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Value::Null,
            _ => {
                return Err(self.fail(format!(
                    "expected a value (a quoted string, a number, true, false or null), found {}",
                    self.describe()
                )))
            }
        };
        self.i += 1;
        Ok(value)
    }
}

pub fn parse_filter(s: &str) -> Result<Filter, ScimError> {
    let toks = lex(s, ScimType::InvalidFilter)?;
    if toks.is_empty() {
        return Err(ScimError::invalid_filter("invalid filter: it is empty"));
    }
    let mut p =
        Parser { toks: &toks, i: 0, end: s.chars().count() + 1, kind: ScimType::InvalidFilter, depth: 0 };
    let filter = p.or(false)?;
    if p.i < toks.len() {
        return Err(p.fail(format!("unexpected {}", p.describe())));
    }
    Ok(filter)
}

fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// The object an attribute lives in: the resource itself, or its extension object.
fn scope<'a>(resource: &'a Value, schema: Option<&str>) -> Option<&'a Map<String, Value>> {
    let obj = resource.as_object()?;
    match schema {
        None => Some(obj),
        Some(urn) => get_ci(obj, urn)?.as_object(),
    }
}

/// Every value an attribute path reaches, flattening multi-valued attributes. A complex
/// multi-valued attribute without a sub-attribute (`emails co "x"`) compares each element's
/// `value`, which is what directories mean by it.
fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(top) = scope(resource, path.schema.as_deref()).and_then(|o| get_ci(o, &path.attribute)) else {
        return Vec::new();
    };
    let elements: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for e in elements {
        match (&path.sub_attribute, e) {
            (Some(sub), Value::Object(o)) => match get_ci(o, sub) {
                Some(Value::Array(items)) => out.extend(items.iter()),
                Some(v) => out.push(v),
                None => {}
            },
            (Some(_), _) => {}
            (None, Value::Object(o)) if top.is_array() => out.extend(get_ci(o, "value")),
            (None, v) => out.push(v),
        }
    }
    out
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Identifiers are compared exactly; everything else Tessera serves (userName, emails,
/// displayName, names) is caseExact=false in RFC 7643, and treating every other string the
/// same way keeps one rule instead of a per-attribute table.
fn case_exact(parent: Option<&str>, path: &AttrPath) -> bool {
    let full = match (parent, &path.sub_attribute) {
        (Some(p), _) => format!("{p}.{}", path.attribute),
        (None, Some(sub)) => format!("{}.{sub}", path.attribute),
        (None, None) => path.attribute.clone(),
    };
    matches!(full.as_str(), "id" | "externalid" | "members.value")
}

fn compare(op: CompareOp, actual: &Value, expected: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordered = |o: Ordering| match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    };
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            // dateTime attributes compare chronologically (RFC 7644 §3.4.2.2), which string
            // order gets wrong as soon as the offsets differ.
            if !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                if let (Ok(da), Ok(de)) = (DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(e)) {
                    return ordered(da.cmp(&de));
                }
            }
            let (a, e) = if exact { (a.clone(), e.clone()) } else { (a.to_lowercase(), e.to_lowercase()) };
            match op {
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                _ => ordered(a.cmp(&e)),
            }
        }
        (Value::Number(a), Value::Number(e)) => match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => a.partial_cmp(&e).is_some_and(ordered),
            _ => false,
        },
        (Value::Bool(a), Value::Bool(e)) => matches!(op, CompareOp::Eq | CompareOp::Ne) && ordered(a.cmp(e)),
        _ => false,
    }
}

fn eval(filter: &Filter, resource: &Value, parent: Option<&str>) -> bool {
    match filter {
        Filter::And(a, b) => eval(a, resource, parent) && eval(b, resource, parent),
        Filter::Or(a, b) => eval(a, resource, parent) || eval(b, resource, parent),
        Filter::Not(f) => !eval(f, resource, parent),
        Filter::Present(path) => values(resource, path).into_iter().any(present),
        Filter::Compare { path, op, value } => {
            let found = values(resource, path);
            let exact = case_exact(parent, path);
            let any_equal = || found.iter().any(|v| compare(CompareOp::Eq, v, value, exact));
            match (op, value) {
                // `eq null` asks whether the attribute is unassigned.
                (CompareOp::Eq, Value::Null) => !found.iter().any(|v| !v.is_null()),
                (CompareOp::Ne, Value::Null) => found.iter().any(|v| !v.is_null()),
                // `ne` is the negation of `eq`, so an absent attribute is "not equal".
                (CompareOp::Ne, _) => !any_equal(),
                _ => found.iter().any(|v| compare(*op, v, value, exact)),
            }
        }
        Filter::ValuePath { path, filter } => {
            let Some(top) = scope(resource, path.schema.as_deref()).and_then(|o| get_ci(o, &path.attribute))
            else {
                return false;
            };
            let elements: Vec<&Value> = match top {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            elements.into_iter().any(|e| eval(filter, e, Some(&path.attribute)))
        }
    }
}

/// Whether a resource's JSON representation (as rendered by [`user_json`] or [`group_json`])
/// matches the filter. A multi-valued attribute matches when any of its values does.
pub fn matches(filter: &Filter, resource: &Value) -> bool {
    eval(filter, resource, None)
}

/// The common `attribute eq "value"` lookup, for the store to answer with an index: the
/// lowercased attribute path (`username`, `externalid`, `emails.value`, `displayname`,
/// `members.value`) and the value as given. `emails[value eq "x"]` counts too. The store must
/// compare case-insensitively except for ids (see [`matches`]), and answer a key it has no
/// index for, like every `None` (extension attributes, other operators), with [`matches`].
pub fn simple_eq(filter: &Filter) -> Option<(String, String)> {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value: Value::String(v) } if path.schema.is_none() => {
            let key = match &path.sub_attribute {
                Some(sub) => format!("{}.{sub}", path.attribute),
                None => path.attribute.clone(),
            };
            Some((key, v.clone()))
        }
        Filter::ValuePath { path, filter } if path.schema.is_none() => match filter.as_ref() {
            Filter::Compare { path: inner, op: CompareOp::Eq, value: Value::String(v) }
                if inner.schema.is_none() && inner.sub_attribute.is_none() =>
            {
                Some((format!("{}.{}", path.attribute, inner.attribute), v.clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// PATCH (RFC 7644 §3.5.2)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Replace,
    Remove,
}

/// The target of a PATCH operation: `active`, `name.givenName`, `members[value eq "abc"]`,
/// `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The extension schema, lowercased, when the path is qualified with one; `None` for core
    /// attributes.
    pub schema: Option<String>,
    pub attribute: String,
    pub sub_attribute: Option<String>,
    pub filter: Option<Filter>,
}

impl Path {
    pub fn is_enterprise(&self) -> bool {
        self.schema.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA))
    }
}

pub fn parse_path(s: &str) -> Result<Path, ScimError> {
    let kind = ScimType::InvalidPath;
    let toks = lex(s, kind)?;
    let mut p = Parser { toks: &toks, i: 0, end: s.chars().count() + 1, kind, depth: 0 };
    let Some(Tok::Word(word)) = p.peek().cloned() else {
        return Err(p.fail(format!("expected an attribute, found {}", p.describe())));
    };
    let attr = attr_path(&word).map_err(|m| p.fail(m))?;
    p.i += 1;
    let mut sub_attribute = attr.sub_attribute;
    let mut filter = None;
    if p.peek() == Some(&Tok::LBracket) {
        if sub_attribute.is_some() {
            return Err(p.fail("a value filter cannot follow a sub-attribute"));
        }
        p.i += 1;
        filter = Some(p.or(true)?);
        p.consume(Tok::RBracket, "`]`")?;
        if let Some(Tok::Word(w)) = p.peek().cloned() {
            match w.strip_prefix('.') {
                Some(sub) if valid_name(sub) => sub_attribute = Some(sub.to_ascii_lowercase()),
                _ => return Err(p.fail(format!("expected `.` and a sub-attribute, found `{w}`"))),
            }
            p.i += 1;
        }
    }
    if p.i < toks.len() {
        return Err(p.fail(format!("unexpected {}", p.describe())));
    }
    Ok(Path { schema: attr.schema, attribute: attr.attribute, sub_attribute, filter })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub op: PatchOp,
    pub path: Option<Path>,
    /// `None` when absent or `null`.
    pub value: Option<Value>,
}

/// A PATCH body. Deserializing checks it the way [`parse_patch`] does, but only
/// [`parse_patch`] keeps the SCIM error type for the response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawPatch")]
pub struct PatchRequest {
    pub operations: Vec<Operation>,
}

#[derive(Deserialize)]
struct RawPatch {
    #[serde(default)]
    schemas: Option<Vec<String>>,
    // RFC 7644 spells it "Operations"; some clients lowercase it.
    #[serde(rename = "Operations", alias = "operations", default)]
    operations: Option<Vec<RawOperation>>,
}

#[derive(Deserialize)]
struct RawOperation {
    op: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    value: Value,
}

impl TryFrom<RawPatch> for PatchRequest {
    type Error = ScimError;

    fn try_from(raw: RawPatch) -> Result<Self, ScimError> {
        if let Some(schemas) = &raw.schemas {
            if !schemas.iter().any(|s| s.eq_ignore_ascii_case(PATCH_OP)) {
                return Err(ScimError::invalid_syntax(format!(
                    "a PATCH body's schemas must contain {PATCH_OP}"
                )));
            }
        }
        let raw_ops = raw.operations.unwrap_or_default();
        if raw_ops.is_empty() {
            return Err(ScimError::invalid_syntax("a PATCH body needs at least one entry in Operations"));
        }
        let mut operations = Vec::with_capacity(raw_ops.len());
        for (n, r) in raw_ops.into_iter().enumerate() {
            let op = match r.op.trim().to_ascii_lowercase().as_str() {
                "add" => PatchOp::Add,
                "replace" => PatchOp::Replace,
                "remove" => PatchOp::Remove,
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "operation {}: op must be add, replace or remove, not {:?}",
                        n + 1,
                        r.op
                    )))
                }
            };
            let path = match r.path.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(p) => Some(parse_path(p)?),
            };
            let value = Some(r.value).filter(|v| !v.is_null());
            if op == PatchOp::Remove && path.is_none() {
                // RFC 7644 §3.5.2.2 names this exact error.
                return Err(ScimError::no_target(format!("operation {}: remove needs a path", n + 1)));
            }
            if op != PatchOp::Remove && value.is_none() {
                return Err(ScimError::invalid_syntax(format!(
                    "operation {}: add and replace need a value",
                    n + 1
                )));
            }
            operations.push(Operation { op, path, value });
        }
        Ok(PatchRequest { operations })
    }
}

pub fn parse_patch(body: &Value) -> Result<PatchRequest, ScimError> {
    let raw = RawPatch::deserialize(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the PATCH body is malformed: {e}")))?;
    PatchRequest::try_from(raw)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Entra ID sends booleans as the strings "True" and "False".
fn bool_value(v: &Value, what: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ScimError::invalid_value(format!("{what} must be true or false, not {other}"))),
    }
}

/// Directories send a single object where an array is expected, and the other way round.
fn one_or_many(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// A string, with `null` meaning "clear it" (the empty string).
fn text_value(v: &Value, what: &str) -> Result<String, ScimError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        other => Err(ScimError::invalid_value(format!("{what} must be a string, not {}", json_kind(other)))),
    }
}

fn required_text(v: &Value, what: &str) -> Result<String, ScimError> {
    let s = text_value(v, what)?;
    if s.trim().is_empty() {
        return Err(ScimError::invalid_value(format!("{what} is required and cannot be empty")));
    }
    Ok(s)
}

fn no_filter(path: &Path, what: &str) -> Result<(), ScimError> {
    if path.filter.is_some() {
        return Err(ScimError::invalid_path(format!("{what} is not multi-valued and takes no filter")));
    }
    Ok(())
}

/// The changes a PATCH makes to a user. `None` leaves a field alone; for optional text,
/// `Some("")` means the directory removed it and the caller clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub user_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub active: Option<bool>,
    pub external_id: Option<String>,
}

/// The changes a PATCH makes to a group's members. `add_members` and `remove_members` never
/// share an id (a later operation cancels an earlier one), so they can be applied in any
/// order. When `replace_members` is `Some` it is the complete final list, later adds and
/// removes already folded in, and the other two lists are empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupPatch {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub add_members: Vec<String>,
    pub remove_members: Vec<String>,
    pub replace_members: Option<Vec<String>>,
}

/// Runs each path-less operation's value object through `apply` key by key. Keys may be
/// paths themselves: Entra ID sends `{"name.givenName": "X"}` and even
/// `{"emails[type eq \"work\"].value": "x"}` inside the value.
fn each_pathless_key(
    op: PatchOp,
    value: Option<&Value>,
    mut apply: impl FnMut(PatchOp, &Path, Option<&Value>) -> Result<(), ScimError>,
) -> Result<(), ScimError> {
    let Some(Value::Object(obj)) = value else {
        return Err(ScimError::invalid_value(format!(
            "an operation without a path needs an object value, not {}",
            value.map_or("nothing", json_kind)
        )));
    };
    for (key, v) in obj {
        let path = parse_path(key)?;
        apply(op, &path, Some(v))?;
    }
    Ok(())
}

pub fn user_patch(req: &PatchRequest) -> Result<UserPatch, ScimError> {
    let mut patch = UserPatch::default();
    for operation in &req.operations {
        let value = operation.value.as_ref();
        match &operation.path {
            Some(path) => apply_user(&mut patch, operation.op, path, value)?,
            None => {
                each_pathless_key(operation.op, value, |op, path, v| apply_user(&mut patch, op, path, v))?
            }
        }
    }
    Ok(patch)
}

fn apply_user(
    patch: &mut UserPatch,
    op: PatchOp,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if path.schema.is_some() {
        return Ok(()); // the enterprise extension and custom extensions are not stored
    }
    let remove = op == PatchOp::Remove;
    let v = value.unwrap_or(&Value::Null);
    let set_text = |field: &mut Option<String>, what: &str| -> Result<(), ScimError> {
        *field = Some(if remove { String::new() } else { text_value(v, what)? });
        Ok(())
    };
    match path.attribute.as_str() {
        "id" | "meta" => Err(ScimError::mutability(format!("{} is read-only", path.attribute))),
        "username" => {
            no_filter(path, "userName")?;
            if remove {
                return Err(ScimError::invalid_value("userName is required and cannot be removed"));
            }
            patch.user_name = Some(required_text(v, "userName")?);
            Ok(())
        }
        "active" => {
            no_filter(path, "active")?;
            if remove {
                return Err(ScimError::invalid_value("active cannot be removed; replace it with false"));
            }
            patch.active = Some(bool_value(v, "active")?);
            Ok(())
        }
        "displayname" => {
            no_filter(path, "displayName")?;
            set_text(&mut patch.display_name, "displayName")
        }
        "externalid" => {
            no_filter(path, "externalId")?;
            set_text(&mut patch.external_id, "externalId")
        }
        "name" => {
            no_filter(path, "name")?;
            match path.sub_attribute.as_deref() {
                Some("givenname") => set_text(&mut patch.given_name, "name.givenName"),
                Some("familyname") => set_text(&mut patch.family_name, "name.familyName"),
                Some("formatted") => set_text(&mut patch.formatted_name, "name.formatted"),
                Some(_) => Ok(()), // middleName, honorificPrefix, ...: not stored
                None if remove => {
                    for field in [&mut patch.given_name, &mut patch.family_name, &mut patch.formatted_name] {
                        *field = Some(String::new());
                    }
                    Ok(())
                }
                None => {
                    let Value::Object(name) = v else {
                        return Err(ScimError::invalid_value(format!(
                            "name must be an object, not {}",
                            json_kind(v)
                        )));
                    };
                    // Sub-attributes left out of the value stay as they are (RFC 7644 §3.5.2.3).
                    for (key, part) in name {
                        match key.to_ascii_lowercase().as_str() {
                            "givenname" => patch.given_name = Some(text_value(part, "name.givenName")?),
                            "familyname" => patch.family_name = Some(text_value(part, "name.familyName")?),
                            "formatted" => patch.formatted_name = Some(text_value(part, "name.formatted")?),
                            _ => {}
                        }
                    }
                    Ok(())
                }
            }
        }
        "emails" => apply_user_email(patch, remove, path, v),
        _ => Ok(()), // title, phoneNumbers, addresses, locale, schemas, password, ...
    }
}

/// Tessera keeps one address per person. It is the one a directory calls "work" or
/// "primary"; other addresses are ignored. A removal is ignored too: the address is how the
/// person signs in, and the directory never means to leave them without one.
fn apply_user_email(patch: &mut UserPatch, remove: bool, path: &Path, v: &Value) -> Result<(), ScimError> {
    if remove {
        return Ok(());
    }
    if let Some(filter) = &path.filter {
        if !matches(filter, &json!({"type": "work", "primary": true})) {
            return Ok(());
        }
    }
    match path.sub_attribute.as_deref() {
        Some("value") if !(v.is_array() || v.is_object()) => {
            patch.email = Some(required_text(v, "emails.value")?);
        }
        // Some clients wrap even a single `.value` in an email object or an array of them.
        Some("value") | None => {
            if let Some(address) = pick_email(one_or_many(v))? {
                patch.email = Some(address);
            }
        }
        Some(_) => {}
    }
    Ok(())
}

/// The primary address among `[{value, type, primary}]`, else the first one.
fn pick_email(items: &[Value]) -> Result<Option<String>, ScimError> {
    let mut first = None;
    for item in items {
        let Value::Object(o) = item else {
            return Err(ScimError::invalid_value(format!(
                "an email must be an object, not {}",
                json_kind(item)
            )));
        };
        let Some(address) = get_ci(o, "value").and_then(Value::as_str).filter(|s| !s.trim().is_empty())
        else {
            continue;
        };
        let primary = get_ci(o, "primary").is_some_and(|p| bool_value(p, "primary").unwrap_or(false));
        if primary {
            return Ok(Some(address.to_string()));
        }
        first = first.or(Some(address.to_string()));
    }
    Ok(first)
}

pub fn group_patch(req: &PatchRequest) -> Result<GroupPatch, ScimError> {
    let mut patch = GroupPatch::default();
    for operation in &req.operations {
        let value = operation.value.as_ref();
        match &operation.path {
            Some(path) => apply_group(&mut patch, operation.op, path, value, false)?,
            None => each_pathless_key(operation.op, value, |op, path, v| {
                apply_group(&mut patch, op, path, v, true)
            })?,
        }
    }
    Ok(patch)
}

fn apply_group(
    patch: &mut GroupPatch,
    op: PatchOp,
    path: &Path,
    value: Option<&Value>,
    pathless: bool,
) -> Result<(), ScimError> {
    if path.schema.is_some() {
        return Ok(());
    }
    let v = value.unwrap_or(&Value::Null);
    match path.attribute.as_str() {
        // Okta repeats the group's id inside a path-less replace; only an explicit path
        // targeting it is an attempt to change it.
        "id" | "meta" if pathless => Ok(()),
        "id" | "meta" => Err(ScimError::mutability(format!("{} is read-only", path.attribute))),
        "displayname" => {
            no_filter(path, "displayName")?;
            if op == PatchOp::Remove {
                return Err(ScimError::invalid_value("displayName is required and cannot be removed"));
            }
            patch.display_name = Some(required_text(v, "displayName")?);
            Ok(())
        }
        "externalid" => {
            no_filter(path, "externalId")?;
            patch.external_id =
                Some(if op == PatchOp::Remove { String::new() } else { text_value(v, "externalId")? });
            Ok(())
        }
        "members" => apply_members(patch, op, path, value),
        _ => Ok(()),
    }
}

fn apply_members(
    patch: &mut GroupPatch,
    op: PatchOp,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if path.sub_attribute.is_some() {
        return Err(ScimError::invalid_path("members can only be targeted as a whole or with a filter"));
    }
    match (op, &path.filter, value) {
        (PatchOp::Remove, Some(filter), _) => {
            let mut ids = Vec::new();
            ids_in_filter(filter, &mut ids)?;
            ids.iter().for_each(|id| remove_member(patch, id));
        }
        (PatchOp::Remove, None, Some(v)) => member_ids(v)?.iter().for_each(|id| remove_member(patch, id)),
        (PatchOp::Remove, None, None) => {
            patch.add_members.clear();
            patch.remove_members.clear();
            patch.replace_members = Some(Vec::new());
        }
        (_, Some(_), _) => {
            return Err(ScimError::invalid_path("a filter on members can only be used to remove them"));
        }
        (PatchOp::Add, None, Some(v)) => member_ids(v)?.iter().for_each(|id| add_member(patch, id)),
        (PatchOp::Replace, None, Some(v)) => {
            let mut list: Vec<String> = Vec::new();
            for id in member_ids(v)? {
                if !list.contains(&id) {
                    list.push(id);
                }
            }
            patch.add_members.clear();
            patch.remove_members.clear();
            patch.replace_members = Some(list);
        }
        (_, None, None) => {
            return Err(ScimError::invalid_syntax("adding or replacing members needs a value"))
        }
    }
    Ok(())
}

/// The ids a removal filter names: `value eq "id"`, or several joined with `or`. Anything
/// else would need the member records to evaluate.
fn ids_in_filter(filter: &Filter, ids: &mut Vec<String>) -> Result<(), ScimError> {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value: Value::String(id) }
            if path.schema.is_none() && path.attribute == "value" && path.sub_attribute.is_none() =>
        {
            ids.push(id.clone());
            Ok(())
        }
        Filter::Or(a, b) => {
            ids_in_filter(a, ids)?;
            ids_in_filter(b, ids)
        }
        _ => Err(ScimError::invalid_path(
            "members can only be removed by `value eq \"id\"` (joined with `or`)",
        )),
    }
}

/// Member ids from `[{"value": "id"}, …]`, a single such object, or bare id strings.
fn member_ids(v: &Value) -> Result<Vec<String>, ScimError> {
    let items = one_or_many(v);
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = match item {
            Value::Object(o) => get_ci(o, "value").and_then(Value::as_str),
            Value::String(s) => Some(s.as_str()),
            _ => None,
        };
        match id {
            Some(id) if !id.trim().is_empty() => ids.push(id.to_string()),
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "a member must be {{\"value\": \"<id>\"}}, not {item}"
                )))
            }
        }
    }
    Ok(ids)
}

fn add_member(patch: &mut GroupPatch, id: &str) {
    if let Some(list) = &mut patch.replace_members {
        if !list.iter().any(|m| m == id) {
            list.push(id.to_string());
        }
        return;
    }
    patch.remove_members.retain(|m| m != id);
    if !patch.add_members.iter().any(|m| m == id) {
        patch.add_members.push(id.to_string());
    }
}

fn remove_member(patch: &mut GroupPatch, id: &str) {
    if let Some(list) = &mut patch.replace_members {
        list.retain(|m| m != id);
        return;
    }
    patch.add_members.retain(|m| m != id);
    if !patch.remove_members.iter().any(|m| m == id) {
        patch.remove_members.push(id.to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// Incoming resources (POST and PUT bodies)

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimEmail {
    pub value: String,
    /// `type`: "work", "home", "other", ...
    pub kind: Option<String>,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUserIn {
    pub user_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub display_name: Option<String>,
    pub emails: Vec<ScimEmail>,
    /// `true` when the body leaves it out: both directories create people active.
    pub active: bool,
    pub external_id: Option<String>,
}

impl ScimUserIn {
    /// The address Tessera keys the person on: the primary email, else the first, else the
    /// userName when it is an address (Entra ID's default mapping sends only the UPN).
    pub fn email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
            .map(|e| e.value.as_str())
            .or_else(|| self.user_name.contains('@').then_some(self.user_name.as_str()))
    }

    pub fn full_name(&self) -> String {
        if let Some(formatted) = self.formatted_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            return formatted.to_string();
        }
        let parts: Vec<&str> = [&self.given_name, &self.family_name]
            .into_iter()
            .filter_map(|p| p.as_deref().map(str::trim).filter(|s| !s.is_empty()))
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        if let Some(display) = self.display_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            return display.to_string();
        }
        let user = self.user_name.trim();
        user.split_once('@').map_or(user, |(local, _)| local).to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimGroupIn {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<String>,
}

fn body_object<'a>(body: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ScimError> {
    body.as_object().ok_or_else(|| ScimError::invalid_syntax(format!("a {what} must be a JSON object")))
}

/// RFC 7643 requires `schemas`, and Okta and Entra ID always send it; a body without it is
/// accepted, one that names only other schemas is not a resource of this type.
fn check_schemas(obj: &Map<String, Value>, schema: &str) -> Result<(), ScimError> {
    match get_ci(obj, "schemas") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(list))
            if list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))) =>
        {
            Ok(())
        }
        Some(_) => Err(ScimError::invalid_syntax(format!("schemas must contain {schema}"))),
    }
}

/// An optional string member; blank counts as absent.
fn optional_text(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, ScimError> {
    match get_ci(obj, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            Err(ScimError::invalid_value(format!("{key} must be a string, not {}", json_kind(other))))
        }
    }
}

fn required_member(obj: &Map<String, Value>, key: &str) -> Result<String, ScimError> {
    optional_text(obj, key)?.ok_or_else(|| ScimError::invalid_value(format!("{key} is required")))
}

pub fn parse_user(body: &Value) -> Result<ScimUserIn, ScimError> {
    let obj = body_object(body, "user")?;
    check_schemas(obj, USER_SCHEMA)?;
    let user_name = required_member(obj, "userName")?;
    let (given_name, family_name, formatted_name) = match get_ci(obj, "name") {
        None | Some(Value::Null) => (None, None, None),
        Some(Value::Object(name)) => (
            optional_text(name, "givenName")?,
            optional_text(name, "familyName")?,
            optional_text(name, "formatted")?,
        ),
        Some(other) => {
            return Err(ScimError::invalid_value(format!("name must be an object, not {}", json_kind(other))))
        }
    };
    let emails = match get_ci(obj, "emails") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut emails = Vec::new();
            for item in items {
                let Value::Object(e) = item else {
                    return Err(ScimError::invalid_value(format!(
                        "an email must be an object, not {}",
                        json_kind(item)
                    )));
                };
                // An entry without an address carries nothing Tessera could use.
                let Some(value) = optional_text(e, "value")? else { continue };
                let primary = match get_ci(e, "primary") {
                    None | Some(Value::Null) => false,
                    Some(p) => bool_value(p, "emails.primary")?,
                };
                emails.push(ScimEmail { value, kind: optional_text(e, "type")?, primary });
            }
            emails
        }
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "emails must be an array, not {}",
                json_kind(other)
            )))
        }
    };
    let active = match get_ci(obj, "active") {
        None | Some(Value::Null) => true,
        Some(v) => bool_value(v, "active")?,
    };
    Ok(ScimUserIn {
        user_name,
        given_name,
        family_name,
        formatted_name,
        display_name: optional_text(obj, "displayName")?,
        emails,
        active,
        external_id: optional_text(obj, "externalId")?,
    })
}

pub fn parse_group(body: &Value) -> Result<ScimGroupIn, ScimError> {
    let obj = body_object(body, "group")?;
    check_schemas(obj, GROUP_SCHEMA)?;
    let members = match get_ci(obj, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(v @ Value::Array(_)) => member_ids(v)?,
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "members must be an array, not {}",
                json_kind(other)
            )))
        }
    };
    Ok(ScimGroupIn {
        display_name: required_member(obj, "displayName")?,
        external_id: optional_text(obj, "externalId")?,
        members,
    })
}

// ---------------------------------------------------------------------------------------------
// Rendering

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserView {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: String,
    pub email: String,
    pub active: bool,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    /// Opaque; rendered as the weak ETag `W/"<version>"`.
    pub version: String,
    /// The SCIM base URL, e.g. `https://tessera.example/scim/v2`.
    pub location_base: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// (user id, display)
    pub members: Vec<(String, String)>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub version: String,
    pub location_base: String,
}

fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn meta(
    resource_type: &str,
    created: &DateTime<Utc>,
    modified: &DateTime<Utc>,
    location: String,
    version: &str,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(modified),
        "location": location,
        "version": format!("W/\"{version}\""),
    })
}

pub fn user_json(v: &UserView) -> Value {
    let base = v.location_base.trim_end_matches('/');
    let mut name = Map::new();
    let parts: Vec<&str> = [&v.given_name, &v.family_name].into_iter().filter_map(|p| p.as_deref()).collect();
    if let Some(given) = &v.given_name {
        name.insert("givenName".into(), Value::String(given.clone()));
    }
    if let Some(family) = &v.family_name {
        name.insert("familyName".into(), Value::String(family.clone()));
    }
    let formatted = if parts.is_empty() { v.display_name.clone() } else { parts.join(" ") };
    name.insert("formatted".into(), Value::String(formatted));

    let mut user = Map::new();
    user.insert("schemas".into(), json!([USER_SCHEMA]));
    user.insert("id".into(), Value::String(v.id.clone()));
    if let Some(external) = &v.external_id {
        user.insert("externalId".into(), Value::String(external.clone()));
    }
    user.insert("userName".into(), Value::String(v.user_name.clone()));
    user.insert("name".into(), Value::Object(name));
    user.insert("displayName".into(), Value::String(v.display_name.clone()));
    if !v.email.is_empty() {
        user.insert("emails".into(), json!([{"value": v.email, "type": "work", "primary": true}]));
    }
    user.insert("active".into(), Value::Bool(v.active));
    user.insert(
        "meta".into(),
        meta("User", &v.created, &v.last_modified, format!("{base}/Users/{}", v.id), &v.version),
    );
    Value::Object(user)
}

pub fn group_json(v: &GroupView) -> Value {
    let base = v.location_base.trim_end_matches('/');
    let members: Vec<Value> = v
        .members
        .iter()
        .map(|(id, display)| json!({"value": id, "display": display, "$ref": format!("{base}/Users/{id}")}))
        .collect();
    let mut group = Map::new();
    group.insert("schemas".into(), json!([GROUP_SCHEMA]));
    group.insert("id".into(), Value::String(v.id.clone()));
    if let Some(external) = &v.external_id {
        group.insert("externalId".into(), Value::String(external.clone()));
    }
    group.insert("displayName".into(), Value::String(v.display_name.clone()));
    group.insert("members".into(), Value::Array(members));
    group.insert(
        "meta".into(),
        meta("Group", &v.created, &v.last_modified, format!("{base}/Groups/{}", v.id), &v.version),
    );
    Value::Object(group)
}

pub fn list_response(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

// ---------------------------------------------------------------------------------------------
// Paging (RFC 7644 §3.4.2.4) and projection (§3.4.2.5)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// 1-based.
    pub start_index: usize,
    pub count: usize,
}

impl Paging {
    /// How many results to skip.
    pub fn offset(&self) -> usize {
        self.start_index - 1
    }
}

/// A decimal integer that saturates instead of failing, so an absurd `count` is clamped like
/// any other large one.
fn saturating_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.bytes().fold(0i64, |n, b| n.saturating_mul(10).saturating_add(i64::from(b - b'0')));
    Some(if negative { -n } else { n })
}

/// RFC 7644 §3.4.2.4: a `startIndex` below 1 means 1 and a negative `count` means 0; `count`
/// is also capped at [`MAX_COUNT`]. An empty parameter counts as absent.
pub fn paging(start_index: Option<&str>, count: Option<&str>) -> Result<Paging, ScimError> {
    let parse = |raw: Option<&str>, name: &str| -> Result<Option<i64>, ScimError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => saturating_int(s)
                .map(Some)
                .ok_or_else(|| ScimError::invalid_value(format!("{name} must be an integer, not {s:?}"))),
        }
    };
    let start = parse(start_index, "startIndex")?.unwrap_or(1);
    let count = parse(count, "count")?.map_or(DEFAULT_COUNT as i64, |c| c.clamp(0, MAX_COUNT as i64));
    Ok(Paging {
        start_index: usize::try_from(start.max(1)).unwrap_or(usize::MAX),
        count: usize::try_from(count).unwrap_or(0),
    })
}

/// A selection of attributes, keyed by lowercased name: a whole attribute or some of its
/// sub-attributes. Extension attributes nest under their schema URN.
enum Node {
    Whole,
    Some(BTreeMap<String, Node>),
}

fn always_returned(key: &str) -> bool {
    matches!(key.to_ascii_lowercase().as_str(), "id" | "schemas" | "meta")
}

fn selection(resource: &Value, list: &str) -> BTreeMap<String, Node> {
    let mut root = BTreeMap::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        // A name that is a key of the resource as it stands (an extension's URN) is whole.
        let whole_key = resource.as_object().is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(item)));
        let keys: Vec<String> = if whole_key {
            vec![item.to_ascii_lowercase()]
        } else {
            // Names that are not attribute paths select nothing, as unknown names do.
            let Ok(p) = attr_path(item) else { continue };
            p.schema.into_iter().chain(Some(p.attribute)).chain(p.sub_attribute).collect()
        };
        insert_selection(&mut root, &keys);
    }
    root
}

fn insert_selection(map: &mut BTreeMap<String, Node>, keys: &[String]) {
    let Some((first, rest)) = keys.split_first() else { return };
    if rest.is_empty() {
        map.insert(first.clone(), Node::Whole);
        return;
    }
    if let Node::Some(children) = map.entry(first.clone()).or_insert_with(|| Node::Some(BTreeMap::new())) {
        insert_selection(children, rest);
    }
}

fn keep(value: Value, node: &Node) -> Option<Value> {
    let Node::Some(children) = node else { return Some(value) };
    match value {
        Value::Object(obj) => {
            let kept: Map<String, Value> = obj
                .into_iter()
                .filter_map(|(k, v)| {
                    let child = children.get(&k.to_ascii_lowercase())?;
                    keep(v, child).map(|v| (k, v))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(|i| keep(i, node)).collect())),
        _ => None,
    }
}

fn drop_selected(value: &mut Value, selected: &BTreeMap<String, Node>, top: bool) {
    match value {
        Value::Object(obj) => {
            obj.retain(|k, _| {
                !matches!(selected.get(&k.to_ascii_lowercase()), Some(Node::Whole))
                    || (top && always_returned(k))
            });
            for (k, child) in obj.iter_mut() {
                if let Some(Node::Some(sub)) = selected.get(&k.to_ascii_lowercase()) {
                    drop_selected(child, sub, false);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| drop_selected(i, selected, false)),
        _ => {}
    }
}

/// RFC 7644 §3.4.2.5 `attributes` and `excludedAttributes`: comma-separated, case-insensitive,
/// optionally URN-qualified, with sub-attributes. `id`, `schemas` and `meta` are returned
/// whatever is asked. Names that match nothing are ignored rather than refused.
pub fn project(resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let mut resource = resource;
    if let Some(list) = attributes.filter(|s| !s.trim().is_empty()) {
        let selected = selection(&resource, list);
        if let Value::Object(obj) = resource {
            let kept: Map<String, Value> = obj
                .into_iter()
                .filter_map(|(k, v)| {
                    if always_returned(&k) {
                        return Some((k, v));
                    }
                    let node = selected.get(&k.to_ascii_lowercase())?;
                    keep(v, node).map(|v| (k, v))
                })
                .collect();
            resource = Value::Object(kept);
        }
    }
    if let Some(list) = excluded.filter(|s| !s.trim().is_empty()) {
        let selected = selection(&resource, list);
        drop_selected(&mut resource, &selected, true);
    }
    resource
}

// ---------------------------------------------------------------------------------------------
// Discovery (RFC 7644 §4, RFC 7643 §5-7)

pub fn service_provider_config(base: &str) -> Value {
    let base = base.trim_end_matches('/');
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The directory-sync token created for the team (`scim token create`), sent as a bearer token.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

pub fn resource_types(base: &str) -> Value {
    let base = base.trim_end_matches('/');
    let user = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person in the team",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
    });
    let group = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A group of the team's members",
        "schema": GROUP_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
    });
    list_response(vec![user, group], 2, 1)
}

/// One attribute definition with RFC 7643 §7's defaults, adjusted by the builder methods.
struct AttrDef(Map<String, Value>);

impl AttrDef {
    fn new(name: &str, kind: &str, description: &str) -> Self {
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("type".into(), json!(kind));
        m.insert("multiValued".into(), json!(false));
        m.insert("description".into(), json!(description));
        m.insert("required".into(), json!(false));
        m.insert("caseExact".into(), json!(false));
        m.insert("mutability".into(), json!("readWrite"));
        m.insert("returned".into(), json!("default"));
        m.insert("uniqueness".into(), json!("none"));
        AttrDef(m)
    }
    fn set(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.into(), value);
        self
    }
    fn required(self) -> Self {
        self.set("required", json!(true))
    }
    fn multi(self) -> Self {
        self.set("multiValued", json!(true))
    }
    fn case_exact(self) -> Self {
        self.set("caseExact", json!(true))
    }
    fn mutability(self, m: &str) -> Self {
        self.set("mutability", json!(m))
    }
    fn returned(self, r: &str) -> Self {
        self.set("returned", json!(r))
    }
    fn unique(self) -> Self {
        self.set("uniqueness", json!("server"))
    }
    fn sub(self, subs: Vec<AttrDef>) -> Self {
        self.set("subAttributes", Value::Array(subs.into_iter().map(AttrDef::build).collect()))
    }
    fn build(self) -> Value {
        Value::Object(self.0)
    }
}

fn schema_doc(id: &str, name: &str, description: &str, attributes: Vec<AttrDef>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.into_iter().map(AttrDef::build).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema"},
    })
}

/// The schemas as Tessera implements them: only the attributes it stores. The enterprise
/// extension is accepted and not stored, which `writeOnly` / `returned: never` says exactly.
pub fn schemas() -> Value {
    let user = schema_doc(
        USER_SCHEMA,
        "User",
        "A person in the team",
        vec![
            AttrDef::new("userName", "string", "Unique identifier the directory knows the person by")
                .required()
                .unique(),
            AttrDef::new("name", "complex", "The person's name").sub(vec![
                AttrDef::new("formatted", "string", "The full name"),
                AttrDef::new("givenName", "string", "Given name"),
                AttrDef::new("familyName", "string", "Family name"),
            ]),
            AttrDef::new("displayName", "string", "The name shown in the console"),
            AttrDef::new("emails", "complex", "Email addresses; Tessera keeps the work or primary one")
                .multi()
                .sub(vec![
                    AttrDef::new("value", "string", "The address"),
                    AttrDef::new("type", "string", "work, home or other")
                        .set("canonicalValues", json!(["work", "home", "other"])),
                    AttrDef::new("primary", "boolean", "Whether this is the primary address"),
                ]),
            AttrDef::new("active", "boolean", "false ends the person's access to the team"),
        ],
    );
    let group = schema_doc(
        GROUP_SCHEMA,
        "Group",
        "A group of the team's members",
        vec![
            AttrDef::new("displayName", "string", "The group's name").required().unique(),
            AttrDef::new("members", "complex", "The group's members").multi().sub(vec![
                AttrDef::new("value", "string", "The member's id").case_exact().mutability("immutable"),
                AttrDef::new("display", "string", "The member's name").mutability("readOnly"),
                AttrDef::new("$ref", "reference", "The member's URI")
                    .case_exact()
                    .mutability("immutable")
                    .set("referenceTypes", json!(["User"])),
            ]),
        ],
    );
    let ignored = |name: &str, kind: &str, description: &str| {
        AttrDef::new(name, kind, description).mutability("writeOnly").returned("never")
    };
    let enterprise = schema_doc(
        ENTERPRISE_USER_SCHEMA,
        "EnterpriseUser",
        "Enterprise user attributes: accepted so directories can send them, not stored",
        vec![
            ignored("employeeNumber", "string", "Not stored"),
            ignored("costCenter", "string", "Not stored"),
            ignored("organization", "string", "Not stored"),
            ignored("division", "string", "Not stored"),
            ignored("department", "string", "Not stored"),
            ignored("manager", "complex", "Not stored").sub(vec![
                ignored("value", "string", "Not stored"),
                ignored("$ref", "reference", "Not stored")
                    .case_exact()
                    .set("referenceTypes", json!(["User"])),
                ignored("displayName", "string", "Not stored"),
            ]),
        ],
    );
    list_response(vec![user, group, enterprise], 3, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    // --- helpers ------------------------------------------------------------------------

    fn attr(attribute: &str) -> AttrPath {
        AttrPath { schema: None, attribute: attribute.into(), sub_attribute: None }
    }
    fn sub(attribute: &str, sub: &str) -> AttrPath {
        AttrPath { schema: None, attribute: attribute.into(), sub_attribute: Some(sub.into()) }
    }
    fn cmp(path: AttrPath, op: CompareOp, value: Value) -> Filter {
        Filter::Compare { path, op, value }
    }
    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }
    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }
    fn f(s: &str) -> Filter {
        parse_filter(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }
    fn bad_filter(s: &str) -> ScimError {
        let e = parse_filter(s).expect_err(s);
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{s}");
        assert_eq!(e.status, 400);
        e
    }
    fn patch(body: Value) -> PatchRequest {
        parse_patch(&body).unwrap_or_else(|e| panic!("{body}: {e:?}"))
    }
    fn ops(ops: Value) -> PatchRequest {
        patch(json!({"schemas": [PATCH_OP], "Operations": ops}))
    }
    fn user_ops(o: Value) -> Result<UserPatch, ScimError> {
        user_patch(&ops(o))
    }
    fn group_ops(o: Value) -> Result<GroupPatch, ScimError> {
        group_patch(&ops(o))
    }
    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn barbara() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "u-1",
            "externalId": "Ext-1",
            "userName": "BJensen@example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"},
            "displayName": "Babs",
            "title": "",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@home.org", "type": "home"}
            ],
            "active": true,
            "loginCount": 5,
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
            ENTERPRISE_USER_SCHEMA: {"department": "Sales", "manager": {"value": "u-9"}}
        })
    }
    fn m(filter: &str) -> bool {
        matches(&f(filter), &barbara())
    }

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).single().expect("valid time")
    }
    fn view() -> UserView {
        UserView {
            id: "u-1".into(),
            user_name: "ada@example.com".into(),
            external_id: Some("00u1".into()),
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            display_name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            active: true,
            created: at(9),
            last_modified: at(10),
            version: "3".into(),
            location_base: "https://t.example/scim/v2/".into(),
        }
    }
    fn group_view() -> GroupView {
        GroupView {
            id: "g-1".into(),
            display_name: "Design".into(),
            external_id: None,
            members: vec![("u-1".into(), "Ada Lovelace".into()), ("u-2".into(), "Bob".into())],
            created: at(9),
            last_modified: at(11),
            version: "7".into(),
            location_base: "https://t.example/scim/v2".into(),
        }
    }

    // --- errors -------------------------------------------------------------------------

    #[test]
    fn error_json_has_the_rfc_shape_with_status_as_a_string() {
        let e = ScimError::invalid_filter("bad");
        assert_eq!(
            e.to_json(),
            json!({"schemas": [ERROR_SCHEMA], "status": "400", "scimType": "invalidFilter", "detail": "bad"})
        );
        assert_eq!(
            ScimError::not_found("no such user").to_json(),
            json!({"schemas": [ERROR_SCHEMA], "status": "404", "detail": "no such user"})
        );
    }

    #[test]
    fn constructors_pick_status_and_type() {
        let cases = [
            (ScimError::uniqueness("x"), 409, Some(ScimType::Uniqueness)),
            (ScimError::invalid_value("x"), 400, Some(ScimType::InvalidValue)),
            (ScimError::invalid_path("x"), 400, Some(ScimType::InvalidPath)),
            (ScimError::no_target("x"), 400, Some(ScimType::NoTarget)),
            (ScimError::invalid_syntax("x"), 400, Some(ScimType::InvalidSyntax)),
            (ScimError::mutability("x"), 400, Some(ScimType::Mutability)),
            (ScimError::too_many("x"), 400, Some(ScimType::TooMany)),
            (ScimError::not_found("x"), 404, None),
        ];
        for (e, status, kind) in cases {
            assert_eq!((e.status, e.scim_type), (status, kind));
        }
        assert_eq!(ScimError::uniqueness("userName taken").to_string(), "SCIM 409: userName taken");
        let names: Vec<&str> = [
            ScimType::InvalidFilter,
            ScimType::TooMany,
            ScimType::Uniqueness,
            ScimType::Mutability,
            ScimType::InvalidSyntax,
            ScimType::InvalidPath,
            ScimType::NoTarget,
            ScimType::InvalidValue,
            ScimType::InvalidVers,
            ScimType::Sensitive,
        ]
        .into_iter()
        .map(ScimType::as_str)
        .collect();
        assert_eq!(names.join(","), "invalidFilter,tooMany,uniqueness,mutability,invalidSyntax,invalidPath,noTarget,invalidValue,invalidVers,sensitive");
    }

    // --- filter parsing -------------------------------------------------------------------

    #[test]
    fn parses_a_comparison_case_insensitively() {
        let expected = cmp(attr("username"), CompareOp::Eq, json!("bjensen"));
        assert_eq!(f(r#"userName eq "bjensen""#), expected);
        assert_eq!(f(r#"USERNAME EQ "bjensen""#), expected);
        assert_eq!(f(r#"  userName   Eq   "bjensen"  "#), expected);
    }

    #[test]
    fn parses_every_operator() {
        for (word, op) in [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ] {
            assert_eq!(f(&format!("title {word} \"x\"")), cmp(attr("title"), op, json!("x")));
        }
        assert_eq!(f("title PR"), Filter::Present(attr("title")));
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_override() {
        let a = || cmp(attr("a"), CompareOp::Eq, json!(1));
        let b = || cmp(attr("b"), CompareOp::Eq, json!(2));
        let c = || cmp(attr("c"), CompareOp::Eq, json!(3));
        assert_eq!(f("a eq 1 or b eq 2 and c eq 3"), or(a(), and(b(), c())));
        assert_eq!(f("a eq 1 and b eq 2 or c eq 3"), or(and(a(), b()), c()));
        assert_eq!(f("(a eq 1 or b eq 2) and c eq 3"), and(or(a(), b()), c()));
        // Left-associative chains.
        assert_eq!(f("a eq 1 or b eq 2 or c eq 3"), or(or(a(), b()), c()));
    }

    #[test]
    fn parses_not_and_value_paths() {
        assert_eq!(
            f("not (active eq true)"),
            Filter::Not(Box::new(cmp(attr("active"), CompareOp::Eq, json!(true))))
        );
        assert_eq!(
            f("NOT(active eq false)"),
            Filter::Not(Box::new(cmp(attr("active"), CompareOp::Eq, json!(false))))
        );
        assert_eq!(
            f(r#"emails[type eq "work" and value co "@x"]"#),
            Filter::ValuePath {
                path: attr("emails"),
                filter: Box::new(and(
                    cmp(attr("type"), CompareOp::Eq, json!("work")),
                    cmp(attr("value"), CompareOp::Co, json!("@x"))
                )),
            }
        );
        assert_eq!(f("emails.value pr"), Filter::Present(sub("emails", "value")));
        assert_eq!(f("name.givenName sw \"B\""), cmp(sub("name", "givenname"), CompareOp::Sw, json!("B")));
    }

    #[test]
    fn strips_the_core_urn_and_keeps_an_extension_urn() {
        assert_eq!(
            f(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#),
            cmp(attr("username"), CompareOp::Eq, json!("x"))
        );
        assert_eq!(
            f(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "x""#),
            cmp(sub("name", "givenname"), CompareOp::Eq, json!("x"))
        );
        let dept = AttrPath {
            schema: Some(ENTERPRISE_USER_SCHEMA.to_ascii_lowercase()),
            attribute: "department".into(),
            sub_attribute: None,
        };
        assert_eq!(
            f(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#),
            cmp(dept, CompareOp::Eq, json!("Sales"))
        );
    }

    #[test]
    fn parses_literals() {
        assert_eq!(f(r#"a eq "q\"b\\c\u00e9\n""#), cmp(attr("a"), CompareOp::Eq, json!("q\"b\\c\u{e9}\n")));
        assert_eq!(f("a eq -1.5e2"), cmp(attr("a"), CompareOp::Eq, json!(-150.0)));
        assert_eq!(f("a gt 10"), cmp(attr("a"), CompareOp::Gt, json!(10)));
        assert_eq!(f("a eq TRUE"), cmp(attr("a"), CompareOp::Eq, json!(true)));
        assert_eq!(f("a ne null"), cmp(attr("a"), CompareOp::Ne, Value::Null));
        assert_eq!(f(r#"a eq "naïve ✓""#), cmp(attr("a"), CompareOp::Eq, json!("naïve ✓")));
        assert_eq!(f("$ref pr"), Filter::Present(attr("$ref")));
    }

    #[test]
    fn rejects_garbage_naming_the_position() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("userName eq", "at position 12"),
            (r#"userName zz "x""#, "`zz` at position 10"),
            (r#"userName eq "x" and"#, "at position 20"),
            (r#"(userName eq "x""#, "expected `)`"),
            (r#"userName eq "x")"#, "unexpected `)` at position 16"),
            (r#"userName eq "open"#, "unterminated string at position 13"),
            (r#"emails[type eq "work""#, "expected `]`"),
            (r#"name.given.x eq "y""#, "position 1"),
            ("active gt true", "cannot compare true at position 11"),
            ("a lt null", "position 6"),
            (r#"a[b[c eq 1]]"#, "cannot be nested"),
            (r#"name.givenName[x eq 1] pr"#, "sub-attribute"),
            (r#"userName eq bjensen"#, "expected a value"),
            (r#"userName eq "x" & b pr"#, "unexpected character `&` at position 17"),
            (r#"not userName eq "x""#, "expected an operator"),
            ("a eq 1.2.3", "invalid number"),
            (r#"a eq "bad \q escape""#, "invalid string literal"),
            ("\"x\" eq a", "expected an attribute"),
            ("urn:ietf:params:scim:schemas:core:2.0:User: eq 1", "names no attribute"),
        ];
        for (filter, needle) in cases {
            let e = bad_filter(filter);
            assert!(e.detail.contains(needle), "{filter:?}: {}", e.detail);
            assert!(e.detail.starts_with("invalid filter"), "{filter:?}: {}", e.detail);
        }
    }

    #[test]
    fn refuses_filters_nested_too_deeply() {
        let deep = format!("{}a pr{}", "(".repeat(200), ")".repeat(200));
        assert!(bad_filter(&deep).detail.contains("too deeply"));
        let fine = format!("{}a pr{}", "(".repeat(10), ")".repeat(10));
        assert_eq!(f(&fine), Filter::Present(attr("a")));
    }

    // --- filter matching --------------------------------------------------------------

    #[test]
    fn string_comparisons_ignore_case_except_for_ids() {
        assert!(m(r#"userName eq "bjensen@EXAMPLE.com""#));
        assert!(m(r#"displayName eq "BABS""#));
        assert!(m(r#"externalId eq "Ext-1""#));
        assert!(!m(r#"externalId eq "ext-1""#));
        assert!(m(r#"id eq "u-1""#));
        assert!(!m(r#"id eq "U-1""#));
        assert!(m(r#"userName co "JENSEN""#));
        assert!(m(r#"userName sw "bj""#));
        assert!(m(r#"userName ew ".COM""#));
        assert!(!m(r#"userName sw "jensen""#));
        assert!(m(r#"name.familyName eq "jensen""#));
    }

    #[test]
    fn multi_valued_attributes_match_when_any_element_does() {
        assert!(m(r#"emails.value eq "babs@home.org""#));
        assert!(m(r#"emails.type eq "home""#));
        assert!(m(r#"emails co "home.org""#));
        assert!(!m(r#"emails.value eq "nobody@x.org""#));
        // Without a value path the two conditions may hold for different elements...
        assert!(m(r#"emails.type eq "home" and emails.value co "@example.com""#));
        // ...with one they must hold for the same element.
        assert!(m(r#"emails[type eq "work" and value co "@example.com"]"#));
        assert!(!m(r#"emails[type eq "home" and value co "@example.com"]"#));
        assert!(m(r#"emails[primary eq true]"#));
        assert!(!m(r#"phoneNumbers[type eq "work"]"#));
    }

    #[test]
    fn present_means_set_and_not_empty() {
        assert!(m("userName pr"));
        assert!(m("emails pr"));
        assert!(m("name.givenName pr"));
        assert!(!m("title pr")); // empty string
        assert!(!m("nickName pr"));
        assert!(!matches(&f("emails pr"), &json!({"emails": []})));
        assert!(!matches(&f("x pr"), &json!({"x": null})));
    }

    #[test]
    fn ne_is_not_eq_and_null_means_unassigned() {
        assert!(!m(r#"userName ne "BJENSEN@example.com""#));
        assert!(m(r#"userName ne "someone""#));
        assert!(m(r#"nickName ne "x""#));
        assert!(m("nickName eq null"));
        assert!(!m("userName eq null"));
        assert!(m("userName ne null"));
    }

    #[test]
    fn evaluation_follows_precedence_and_not() {
        // or(true, and(false, false)) is true; the wrong grouping would give false.
        assert!(m(r#"userName sw "bj" or userName eq "nobody" and active eq false"#));
        assert!(!m(r#"(userName sw "bj" or userName eq "nobody") and active eq false"#));
        assert!(m("not (active eq false)"));
        assert!(!m("not (active eq true)"));
        assert!(m(r#"active eq true and not (emails[type eq "other"])"#));
    }

    #[test]
    fn dates_compare_chronologically_and_numbers_numerically() {
        assert!(m(r#"meta.created gt "2023-12-31T23:00:00Z""#));
        // 01:00+02:00 is 23:00Z the day before: a string comparison would get this wrong.
        assert!(m(r#"meta.created gt "2024-01-01T01:00:00+02:00""#));
        assert!(m(r#"meta.created eq "2024-01-01T02:00:00+02:00""#));
        assert!(!m(r#"meta.created lt "2024-01-01T00:00:00Z""#));
        assert!(m(r#"meta.created le "2024-01-01T00:00:00Z""#));
        assert!(m("loginCount gt 4"));
        assert!(m("loginCount ge 5"));
        assert!(!m("loginCount le 4.5"));
        assert!(!m(r#"loginCount eq "5""#), "types must agree");
        assert!(!m(r#"loginCount co 5"#));
        assert!(m("active eq true"));
    }

    #[test]
    fn extension_attributes_match_under_their_urn() {
        assert!(m(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#));
        assert!(m(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "u-9""#));
        assert!(!m(r#"department eq "sales""#), "unqualified names are core attributes");
        assert!(m(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj""#));
    }

    #[test]
    fn group_member_ids_match_exactly() {
        let group = json!({"displayName": "Design", "members": [{"value": "Abc", "display": "A"}]});
        assert!(matches(&f(r#"members[value eq "Abc"]"#), &group));
        assert!(!matches(&f(r#"members[value eq "abc"]"#), &group));
        assert!(matches(&f(r#"members.value eq "Abc""#), &group));
        assert!(!matches(&f(r#"members.value eq "ABC""#), &group));
        assert!(matches(&f(r#"displayName eq "design""#), &group));
        // Entra ID checks one membership this way before it adds or removes it.
        let entra = f(r#"id eq "g-1" and members[value eq "Abc"]"#);
        assert_eq!(simple_eq(&entra), None);
        assert!(matches(&entra, &json!({"id": "g-1", "members": [{"value": "Abc"}]})));
        assert!(!matches(&entra, &json!({"id": "g-1", "members": []})));
        assert!(!matches(&entra, &json!({"id": "g-2", "members": [{"value": "Abc"}]})));
    }

    #[test]
    fn simple_eq_extracts_indexable_lookups() {
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(simple_eq(&f(r#"userName eq "Bob@X.org""#)), pair("username", "Bob@X.org"));
        assert_eq!(simple_eq(&f(r#"externalId EQ "00u1""#)), pair("externalid", "00u1"));
        assert_eq!(simple_eq(&f(r#"displayName eq "Design""#)), pair("displayname", "Design"));
        assert_eq!(simple_eq(&f(r#"emails.value eq "a@x""#)), pair("emails.value", "a@x"));
        assert_eq!(simple_eq(&f(r#"emails[value eq "a@x"]"#)), pair("emails.value", "a@x"));
        assert_eq!(simple_eq(&f(r#"members[value eq "u1"]"#)), pair("members.value", "u1"));
        assert_eq!(simple_eq(&f(r#"emails[type eq "work"]"#)), pair("emails.type", "work"));
        assert_eq!(
            simple_eq(&f(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "b""#)),
            pair("username", "b")
        );
        for other in [
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#,
            r#"userName co "b""#,
            "active eq true",
            r#"userName eq "a" and active eq true"#,
            "userName pr",
        ] {
            assert_eq!(simple_eq(&f(other)), None, "{other}");
        }
    }

    // --- paths ------------------------------------------------------------------------

    #[test]
    fn parses_patch_paths() {
        let p = |s: &str| parse_path(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        assert_eq!(
            p(r#"members[value eq "abc"]"#),
            Path {
                schema: None,
                attribute: "members".into(),
                sub_attribute: None,
                filter: Some(cmp(attr("value"), CompareOp::Eq, json!("abc"))),
            }
        );
        let work = p(r#"emails[type eq "work"].value"#);
        assert_eq!(work.attribute, "emails");
        assert_eq!(work.sub_attribute.as_deref(), Some("value"));
        assert_eq!(work.filter, Some(cmp(attr("type"), CompareOp::Eq, json!("work"))));
        let given = p("name.givenName");
        assert_eq!((given.attribute.as_str(), given.sub_attribute.as_deref()), ("name", Some("givenname")));
        let dept = p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
        assert!(dept.is_enterprise());
        assert_eq!(dept.attribute, "department");
        let manager = p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
        assert!(manager.is_enterprise());
        assert_eq!(manager.sub_attribute.as_deref(), Some("value"));
        let active = p("active");
        assert_eq!(
            active,
            Path { schema: None, attribute: "active".into(), sub_attribute: None, filter: None }
        );
        assert!(!active.is_enterprise());
        assert_eq!(p("urn:ietf:params:scim:schemas:core:2.0:User:userName"), p("USERNAME"));
    }

    #[test]
    fn rejects_bad_paths_as_invalid_path() {
        for bad in [
            "",
            r#"members[value eq "abc""#,
            r#"name.givenName[type eq "x"]"#,
            r#"emails[type eq "work"].value.x"#,
            r#"emails[type eq "work"]value"#,
            r#"emails[type eq "work"] extra"#,
            "name.given.name",
            "a b",
            r#"emails[type eq]"#,
        ] {
            let e = parse_path(bad).expect_err(bad);
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{bad}: {e:?}");
            assert!(e.detail.starts_with("invalid path"), "{bad}: {}", e.detail);
        }
    }

    // --- PATCH bodies -----------------------------------------------------------------

    #[test]
    fn reads_the_patch_envelope_tolerantly() {
        let upper = patch(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
        );
        let lower = patch(
            json!({"schemas": [PATCH_OP], "operations": [{"op": "replace", "path": "active", "value": "False"}]}),
        );
        assert_eq!(upper, lower);
        assert_eq!(upper.operations[0].op, PatchOp::Replace);
        assert_eq!(upper.operations[0].value, Some(json!("False")));
        let no_schemas = patch(json!({"Operations": [{"op": "ADD", "path": "displayName", "value": "x"}]}));
        assert_eq!(no_schemas.operations[0].op, PatchOp::Add);
        let blank_path =
            patch(json!({"Operations": [{"op": "add", "path": " ", "value": {"active": true}}]}));
        assert_eq!(blank_path.operations[0].path, None);
        let via_serde: PatchRequest = serde_json::from_value(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "title"}]}),
        )
        .expect("deserializes");
        assert_eq!(
            via_serde.operations[0],
            Operation { op: PatchOp::Remove, path: parse_path("title").ok(), value: None }
        );
        assert!(serde_json::from_value::<PatchRequest>(json!({"Operations": []})).is_err());
    }

    #[test]
    fn refuses_malformed_patch_bodies() {
        let kind = |body: Value| parse_patch(&body).map(|_| ()).map_err(|e| e.scim_type);
        assert_eq!(
            kind(json!({"schemas": [USER_SCHEMA], "Operations": [{"op": "add", "path": "a", "value": 1}]})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(kind(json!({"schemas": [PATCH_OP]})), Err(Some(ScimType::InvalidSyntax)));
        assert_eq!(
            kind(json!({"schemas": [PATCH_OP], "Operations": []})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            kind(json!({"Operations": [{"op": "move", "path": "a"}]})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(kind(json!({"Operations": [{"op": "remove"}]})), Err(Some(ScimType::NoTarget)));
        assert_eq!(
            kind(json!({"Operations": [{"op": "add", "path": "a"}]})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            kind(json!({"Operations": [{"op": "replace", "path": "a", "value": null}]})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            kind(json!({"Operations": [{"op": "add", "path": "a[", "value": 1}]})),
            Err(Some(ScimType::InvalidPath))
        );
        assert_eq!(kind(json!({"Operations": "nope"})), Err(Some(ScimType::InvalidSyntax)));
        assert_eq!(kind(json!([1, 2])), Err(Some(ScimType::InvalidSyntax)));
    }

    // --- user PATCH -----------------------------------------------------------------

    #[test]
    fn entra_deactivation_with_a_string_boolean() {
        let req = patch(
            json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}),
        );
        assert_eq!(user_patch(&req), Ok(UserPatch { active: Some(false), ..Default::default() }));
        assert_eq!(
            user_ops(json!([{"op": "Replace", "path": "active", "value": "True"}])).map(|p| p.active),
            Ok(Some(true))
        );
        assert_eq!(
            user_ops(json!([{"op": "Replace", "path": "active", "value": "true"}])).map(|p| p.active),
            Ok(Some(true))
        );
    }

    #[test]
    fn okta_deactivation_without_a_path() {
        let req = patch(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]}),
        );
        assert_eq!(user_patch(&req), Ok(UserPatch { active: Some(false), ..Default::default() }));
        // Okta's password sync rides along in the same kind of operation; Tessera ignores it.
        let with_password =
            user_ops(json!([{"op": "replace", "value": {"active": true, "password": "hunter22"}}]));
        assert_eq!(with_password, Ok(UserPatch { active: Some(true), ..Default::default() }));
    }

    #[test]
    fn active_must_be_a_boolean() {
        for bad in [json!("yes"), json!(1), json!("Falsey"), json!({"value": false})] {
            let e =
                user_ops(json!([{"op": "replace", "path": "active", "value": bad}])).expect_err("refused");
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}");
        }
        let e = user_ops(json!([{"op": "remove", "path": "active"}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn entra_dotted_keys_inside_a_pathless_value() {
        let got = user_ops(
            json!([{"op": "Replace", "value": {"name.givenName": "X", "name.familyName": "Y", "displayName": "X Y"}}]),
        );
        assert_eq!(
            got,
            Ok(UserPatch {
                given_name: Some("X".into()),
                family_name: Some("Y".into()),
                display_name: Some("X Y".into()),
                ..Default::default()
            })
        );
        let email =
            user_ops(json!([{"op": "Add", "value": {"emails[type eq \"work\"].value": "x@corp.example"}}]));
        assert_eq!(email.map(|p| p.email), Ok(Some("x@corp.example".into())));
    }

    #[test]
    fn entra_attribute_update_with_every_mapped_path() {
        // What Entra ID sends after an admin edits a person, including attributes Tessera
        // does not store.
        let req = patch(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "userName", "value": "ada.l@corp.example"},
                {"op": "Replace", "path": "displayName", "value": "Ada L"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada.l@corp.example"},
                {"op": "Replace", "path": "name.givenName", "value": "Ada"},
                {"op": "Replace", "path": "name.familyName", "value": "L"},
                {"op": "Add", "path": "name.formatted", "value": "Ada L"},
                {"op": "Replace", "path": "externalId", "value": "ada.l"},
                {"op": "Add", "path": "title", "value": "Engineer"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555"},
                {"op": "Add", "path": "addresses[type eq \"work\"].formatted", "value": "1 Main St"},
                {"op": "Replace", "path": "preferredLanguage", "value": "en-GB"},
                {"op": "Replace", "path": "locale", "value": "en-GB"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "u-9"},
                {"op": "Replace", "path": "name.middleName", "value": "B"}
            ]
        }));
        assert_eq!(
            user_patch(&req),
            Ok(UserPatch {
                user_name: Some("ada.l@corp.example".into()),
                given_name: Some("Ada".into()),
                family_name: Some("L".into()),
                formatted_name: Some("Ada L".into()),
                display_name: Some("Ada L".into()),
                email: Some("ada.l@corp.example".into()),
                active: None,
                external_id: Some("ada.l".into()),
            })
        );
    }

    #[test]
    fn emails_take_the_work_or_primary_address() {
        let email = |o: Value| user_ops(o).map(|p| p.email);
        let primary = json!([{"value": "home@x", "type": "home"}, {"value": "work@x", "type": "work", "primary": true}]);
        assert_eq!(
            email(json!([{"op": "replace", "path": "emails", "value": primary}])),
            Ok(Some("work@x".into()))
        );
        let first = json!([{"value": "one@x"}, {"value": "two@x"}]);
        assert_eq!(email(json!([{"op": "add", "path": "emails", "value": first}])), Ok(Some("one@x".into())));
        let entra_string_primary =
            json!([{"value": "a@x", "primary": "False"}, {"value": "b@x", "primary": "True"}]);
        assert_eq!(
            email(json!([{"op": "replace", "value": {"emails": entra_string_primary}}])),
            Ok(Some("b@x".into()))
        );
        assert_eq!(
            email(
                json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "w@x", "type": "work"}}])
            ),
            Ok(Some("w@x".into()))
        );
        assert_eq!(
            email(json!([{"op": "replace", "path": "emails[primary eq true].value", "value": "p@x"}])),
            Ok(Some("p@x".into()))
        );
        assert_eq!(
            email(json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "h@x"}])),
            Ok(None)
        );
        assert_eq!(email(json!([{"op": "replace", "path": "emails", "value": []}])), Ok(None));
        assert_eq!(
            email(
                json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": [{"value": "arr@x"}]}])
            ),
            Ok(Some("arr@x".into()))
        );
        assert_eq!(
            email(json!([{"op": "add", "path": "emails.value", "value": {"value": "obj@x"}}])),
            Ok(Some("obj@x".into()))
        );
        let e = email(json!([{"op": "add", "path": "emails.value", "value": 7}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(email(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}])), Ok(None));
        assert_eq!(
            email(json!([{"op": "replace", "path": "emails[type eq \"work\"].type", "value": "work"}])),
            Ok(None)
        );
        let e = email(json!([{"op": "replace", "path": "emails", "value": ["a@x"]}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn id_and_meta_cannot_change() {
        for o in [
            json!([{"op": "replace", "path": "id", "value": "other"}]),
            json!([{"op": "replace", "path": "meta", "value": {}}]),
            json!([{"op": "remove", "path": "id"}]),
            json!([{"op": "replace", "value": {"id": "other", "active": true}}]),
        ] {
            assert_eq!(user_ops(o.clone()).map_err(|e| e.scim_type), Err(Some(ScimType::Mutability)), "{o}");
        }
    }

    #[test]
    fn removals_clear_optional_text_and_refuse_user_name() {
        let e = user_ops(json!([{"op": "remove", "path": "userName"}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let e = user_ops(json!([{"op": "replace", "path": "userName", "value": " "}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let e = user_ops(json!([{"op": "replace", "path": "userName", "value": 42}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(
            user_ops(
                json!([{"op": "remove", "path": "displayName"}, {"op": "Remove", "path": "externalId"}])
            ),
            Ok(UserPatch {
                display_name: Some(String::new()),
                external_id: Some(String::new()),
                ..Default::default()
            })
        );
        assert_eq!(
            user_ops(json!([{"op": "remove", "path": "name"}])),
            Ok(UserPatch {
                given_name: Some(String::new()),
                family_name: Some(String::new()),
                formatted_name: Some(String::new()),
                ..Default::default()
            })
        );
        assert_eq!(
            user_ops(json!([{"op": "replace", "value": {"displayName": null}}])),
            Ok(UserPatch { display_name: Some(String::new()), ..Default::default() })
        );
    }

    #[test]
    fn name_object_and_extension_object_without_a_path() {
        let got = user_ops(json!([{"op": "replace", "value": {
            "name": {"givenName": "Grace", "middleName": "B"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7",
            "schemas": [USER_SCHEMA],
            "nickName": "G"
        }}]));
        assert_eq!(got, Ok(UserPatch { given_name: Some("Grace".into()), ..Default::default() }));
        let e = user_ops(json!([{"op": "replace", "path": "name", "value": "Grace"}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let e = user_ops(json!([{"op": "replace", "value": "active"}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let e = user_ops(json!([{"op": "replace", "path": "active[type eq \"x\"]", "value": true}]))
            .expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    }

    #[test]
    fn later_user_operations_win() {
        let got = user_ops(json!([
            {"op": "replace", "path": "active", "value": false},
            {"op": "replace", "path": "active", "value": true},
            {"op": "add", "path": "displayName", "value": "A"},
            {"op": "replace", "value": {"displayName": "B"}}
        ]));
        assert_eq!(
            got,
            Ok(UserPatch { active: Some(true), display_name: Some("B".into()), ..Default::default() })
        );
    }

    // --- group PATCH ----------------------------------------------------------------

    #[test]
    fn entra_adds_and_removes_members_with_value_arrays() {
        let add = patch(
            json!({"schemas": [PATCH_OP], "Operations": [{"op":"Add","path":"members","value":[{"value":"id1"}]}]}),
        );
        assert_eq!(group_patch(&add), Ok(GroupPatch { add_members: ids(&["id1"]), ..Default::default() }));
        let remove = patch(
            json!({"schemas": [PATCH_OP], "Operations": [{"op":"Remove","path":"members","value":[{"value":"id1"}]}]}),
        );
        assert_eq!(
            group_patch(&remove),
            Ok(GroupPatch { remove_members: ids(&["id1"]), ..Default::default() })
        );
    }

    #[test]
    fn okta_renames_with_the_id_in_the_value() {
        let req = patch(
            json!({"schemas": [PATCH_OP], "Operations": [{"op":"replace","value":{"id":"g1","displayName":"New"}}]}),
        );
        assert_eq!(
            group_patch(&req),
            Ok(GroupPatch { display_name: Some("New".into()), ..Default::default() })
        );
    }

    #[test]
    fn okta_removes_a_member_by_filter() {
        let req = patch(
            json!({"schemas": [PATCH_OP], "Operations": [{"op":"remove","path":"members[value eq \"u1\"]"}]}),
        );
        assert_eq!(group_patch(&req), Ok(GroupPatch { remove_members: ids(&["u1"]), ..Default::default() }));
        let several = group_ops(
            json!([{"op": "remove", "path": "members[value eq \"u1\" or value eq \"u2\" or VALUE EQ \"u3\"]"}]),
        );
        assert_eq!(
            several,
            Ok(GroupPatch { remove_members: ids(&["u1", "u2", "u3"]), ..Default::default() })
        );
        let okta_add = group_ops(
            json!([{"op": "add", "path": "members", "value": [{"value": "u1", "display": "a@x"}, {"value": "u2", "display": "b@x"}]}]),
        );
        assert_eq!(okta_add, Ok(GroupPatch { add_members: ids(&["u1", "u2"]), ..Default::default() }));
    }

    #[test]
    fn member_filters_other_than_value_eq_are_refused() {
        for path in [
            r#"members[display eq "Ada"]"#,
            r#"members[value eq "a" and value eq "b"]"#,
            r#"members[value co "a"]"#,
        ] {
            let e = group_ops(json!([{"op": "remove", "path": path}])).expect_err(path);
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{path}");
        }
        let e =
            group_ops(json!([{"op": "add", "path": "members[value eq \"a\"]", "value": [{"value": "a"}]}]))
                .expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        let e =
            group_ops(json!([{"op": "add", "path": "members.value", "value": "a"}])).expect_err("refused");
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    }

    #[test]
    fn removing_or_replacing_all_members() {
        assert_eq!(
            group_ops(json!([{"op": "remove", "path": "members"}])),
            Ok(GroupPatch { replace_members: Some(Vec::new()), ..Default::default() })
        );
        assert_eq!(
            group_ops(
                json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}, {"value": "a"}]}])
            ),
            Ok(GroupPatch { replace_members: Some(ids(&["a", "b"])), ..Default::default() })
        );
        assert_eq!(
            group_ops(json!([{"op": "replace", "value": {"members": [{"value": "c"}], "displayName": "D"}}])),
            Ok(GroupPatch {
                display_name: Some("D".into()),
                replace_members: Some(ids(&["c"])),
                ..Default::default()
            })
        );
    }

    #[test]
    fn group_name_and_external_id() {
        assert_eq!(
            group_ops(
                json!([{"op": "Replace", "path": "displayName", "value": "Ops"}, {"op": "add", "path": "externalId", "value": "e1"}])
            ),
            Ok(GroupPatch {
                display_name: Some("Ops".into()),
                external_id: Some("e1".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            group_ops(json!([{"op": "remove", "path": "externalId"}])),
            Ok(GroupPatch { external_id: Some(String::new()), ..Default::default() })
        );
        for o in [
            json!([{"op": "remove", "path": "displayName"}]),
            json!([{"op": "replace", "path": "displayName", "value": ""}]),
            json!([{"op": "replace", "path": "displayName", "value": ["x"]}]),
        ] {
            assert_eq!(
                group_ops(o.clone()).map_err(|e| e.scim_type),
                Err(Some(ScimType::InvalidValue)),
                "{o}"
            );
        }
        assert_eq!(
            group_ops(json!([{"op": "replace", "path": "id", "value": "g2"}])).map_err(|e| e.scim_type),
            Err(Some(ScimType::Mutability))
        );
        assert_eq!(
            group_ops(
                json!([{"op": "replace", "value": {"id": "g1", "meta": {}, "schemas": [GROUP_SCHEMA], "description": "x"}}])
            ),
            Ok(GroupPatch::default())
        );
    }

    #[test]
    fn pathless_add_and_single_object_members() {
        assert_eq!(
            group_ops(json!([{"op": "add", "value": {"members": [{"value": "u1"}, {"value": "u2"}]}}])),
            Ok(GroupPatch { add_members: ids(&["u1", "u2"]), ..Default::default() })
        );
        assert_eq!(
            group_ops(json!([{"op": "add", "path": "members", "value": {"value": "u3"}}])),
            Ok(GroupPatch { add_members: ids(&["u3"]), ..Default::default() })
        );
        for bad in [json!([{"display": "no id"}]), json!([{"value": ""}]), json!([7])] {
            let e = group_ops(json!([{"op": "add", "path": "members", "value": bad}])).expect_err("refused");
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}");
        }
    }

    #[test]
    fn later_member_operations_cancel_earlier_ones() {
        assert_eq!(
            group_ops(json!([
                {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
                {"op": "remove", "path": "members[value eq \"a\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "c"}]},
                {"op": "add", "path": "members", "value": [{"value": "c"}, {"value": "b"}]}
            ])),
            Ok(GroupPatch {
                add_members: ids(&["b", "c"]),
                remove_members: ids(&["a"]),
                ..Default::default()
            })
        );
        assert_eq!(
            group_ops(json!([
                {"op": "add", "path": "members", "value": [{"value": "x"}]},
                {"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
                {"op": "add", "path": "members", "value": [{"value": "c"}, {"value": "a"}]},
                {"op": "remove", "path": "members[value eq \"b\"]"}
            ])),
            Ok(GroupPatch { replace_members: Some(ids(&["a", "c"])), ..Default::default() })
        );
    }

    // --- incoming resources ---------------------------------------------------------

    #[test]
    fn parses_an_entra_create_user_body() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": "ada",
            "userName": "ada@corp.example",
            "active": true,
            "addresses": [{"primary": true, "type": "work", "streetAddress": "1 Main St"}],
            "displayName": "Ada Lovelace",
            "emails": [{"primary": true, "type": "work", "value": "ada@corp.example"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
            "title": "Engineer",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7", "department": "R&D"}
        });
        let user = parse_user(&body).expect("parses");
        assert_eq!(
            user,
            ScimUserIn {
                user_name: "ada@corp.example".into(),
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                formatted_name: Some("Ada Lovelace".into()),
                display_name: Some("Ada Lovelace".into()),
                emails: vec![ScimEmail {
                    value: "ada@corp.example".into(),
                    kind: Some("work".into()),
                    primary: true
                }],
                active: true,
                external_id: Some("ada".into()),
            }
        );
        assert_eq!(user.email(), Some("ada@corp.example"));
        assert_eq!(user.full_name(), "Ada Lovelace");
    }

    #[test]
    fn parses_an_okta_create_user_body() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "grace@corp.example",
            "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [{"primary": true, "value": "grace@corp.example", "type": "work"}],
            "displayName": "Grace Hopper",
            "locale": "en-US",
            "externalId": "00u1abcd",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        });
        let user = parse_user(&body).expect("parses");
        assert_eq!(user.user_name, "grace@corp.example");
        assert_eq!(user.external_id.as_deref(), Some("00u1abcd"));
        assert_eq!(user.full_name(), "Grace Hopper");
        assert_eq!(user.email(), Some("grace@corp.example"));
        assert!(user.active);
    }

    #[test]
    fn user_bodies_are_checked() {
        let kind = |body: Value| parse_user(&body).map(|_| ()).map_err(|e| e.scim_type);
        assert_eq!(kind(json!({"schemas": [USER_SCHEMA]})), Err(Some(ScimType::InvalidValue)));
        assert_eq!(
            kind(json!({"schemas": [USER_SCHEMA], "userName": "  "})),
            Err(Some(ScimType::InvalidValue))
        );
        assert_eq!(
            kind(json!({"schemas": [GROUP_SCHEMA], "userName": "a"})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            kind(json!({"schemas": USER_SCHEMA, "userName": "a"})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(kind(json!({"userName": "a"})), Ok(()));
        assert_eq!(kind(json!("a")), Err(Some(ScimType::InvalidSyntax)));
        assert_eq!(kind(json!({"userName": "a", "active": "maybe"})), Err(Some(ScimType::InvalidValue)));
        assert_eq!(kind(json!({"userName": "a", "name": "A"})), Err(Some(ScimType::InvalidValue)));
        assert_eq!(kind(json!({"userName": "a", "emails": "a@x"})), Err(Some(ScimType::InvalidValue)));
        assert_eq!(kind(json!({"userName": 5})), Err(Some(ScimType::InvalidValue)));
        let entra =
            parse_user(&json!({"schemas": [USER_SCHEMA.to_lowercase()], "USERNAME": "a", "active": "False"}))
                .expect("parses");
        assert!(!entra.active);
        assert!(parse_user(&json!({"userName": "a"})).expect("parses").active);
    }

    #[test]
    fn email_and_full_name_fall_back() {
        let base = parse_user(&json!({"userName": "kim.lee@corp.example"})).expect("parses");
        assert_eq!(base.email(), Some("kim.lee@corp.example"));
        assert_eq!(base.full_name(), "kim.lee");
        let no_at = ScimUserIn { user_name: "kim".into(), ..base.clone() };
        assert_eq!(no_at.email(), None);
        assert_eq!(no_at.full_name(), "kim");
        let emails = ScimUserIn {
            emails: vec![
                ScimEmail { value: "first@x".into(), kind: Some("home".into()), primary: false },
                ScimEmail { value: "second@x".into(), kind: None, primary: false },
            ],
            ..base.clone()
        };
        assert_eq!(emails.email(), Some("first@x"));
        let with_primary = ScimUserIn {
            emails: vec![
                ScimEmail { value: "first@x".into(), kind: None, primary: false },
                ScimEmail { value: "main@x".into(), kind: None, primary: true },
            ],
            ..base.clone()
        };
        assert_eq!(with_primary.email(), Some("main@x"));
        let given_only = ScimUserIn { given_name: Some("Kim".into()), ..base.clone() };
        assert_eq!(given_only.full_name(), "Kim");
        let both =
            ScimUserIn { given_name: Some("Kim".into()), family_name: Some(" Lee ".into()), ..base.clone() };
        assert_eq!(both.full_name(), "Kim Lee");
        let display = ScimUserIn { display_name: Some("K. Lee".into()), ..base.clone() };
        assert_eq!(display.full_name(), "K. Lee");
        let formatted = ScimUserIn { formatted_name: Some("Dr Kim Lee".into()), ..both };
        assert_eq!(formatted.full_name(), "Dr Kim Lee");
        let skipped = parse_user(
            &json!({"userName": "a@x", "emails": [{"type": "work"}, {"value": "b@x", "primary": "True"}]}),
        )
        .expect("parses");
        assert_eq!(skipped.emails, vec![ScimEmail { value: "b@x".into(), kind: None, primary: true }]);
    }

    #[test]
    fn parses_group_bodies() {
        let entra =
            json!({"schemas": [GROUP_SCHEMA], "externalId": "8aa1", "displayName": "Design", "members": []});
        assert_eq!(
            parse_group(&entra),
            Ok(ScimGroupIn {
                display_name: "Design".into(),
                external_id: Some("8aa1".into()),
                members: vec![]
            })
        );
        let okta = json!({"schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{"value": "u1", "display": "a@x"}, {"value": "u2"}]});
        assert_eq!(parse_group(&okta).map(|g| g.members), Ok(ids(&["u1", "u2"])));
        let kind = |body: Value| parse_group(&body).map(|_| ()).map_err(|e| e.scim_type);
        assert_eq!(kind(json!({"schemas": [GROUP_SCHEMA]})), Err(Some(ScimType::InvalidValue)));
        assert_eq!(
            kind(json!({"schemas": [USER_SCHEMA], "displayName": "x"})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            kind(json!({"displayName": "x", "members": {"value": "u1"}})),
            Err(Some(ScimType::InvalidValue))
        );
        assert_eq!(
            kind(json!({"displayName": "x", "members": [{"display": "no id"}]})),
            Err(Some(ScimType::InvalidValue))
        );
    }

    // --- rendering ------------------------------------------------------------------

    #[test]
    fn renders_a_user() {
        assert_eq!(
            user_json(&view()),
            json!({
                "schemas": [USER_SCHEMA],
                "id": "u-1",
                "externalId": "00u1",
                "userName": "ada@example.com",
                "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
                "displayName": "Ada Lovelace",
                "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
                "active": true,
                "meta": {
                    "resourceType": "User",
                    "created": "2024-05-01T09:00:00Z",
                    "lastModified": "2024-05-01T10:00:00Z",
                    "location": "https://t.example/scim/v2/Users/u-1",
                    "version": "W/\"3\""
                }
            })
        );
        let bare = user_json(&UserView { external_id: None, given_name: None, family_name: None, ..view() });
        assert!(bare.get("externalId").is_none());
        assert!(user_json(&UserView { email: String::new(), ..view() }).get("emails").is_none());
        assert_eq!(bare["name"], json!({"formatted": "Ada Lovelace"}));
    }

    #[test]
    fn a_rendered_user_parses_back_to_the_same_fields() {
        for v in [view(), UserView { external_id: None, active: false, family_name: None, ..view() }] {
            let back = parse_user(&user_json(&v)).expect("parses");
            assert_eq!(back.user_name, v.user_name);
            assert_eq!(back.given_name, v.given_name);
            assert_eq!(back.family_name, v.family_name);
            assert_eq!(back.display_name.as_deref(), Some(v.display_name.as_str()));
            assert_eq!(back.email(), Some(v.email.as_str()));
            assert_eq!(back.active, v.active);
            assert_eq!(back.external_id, v.external_id);
        }
    }

    #[test]
    fn renders_a_group_and_parses_it_back() {
        let rendered = group_json(&group_view());
        assert_eq!(
            rendered,
            json!({
                "schemas": [GROUP_SCHEMA],
                "id": "g-1",
                "displayName": "Design",
                "members": [
                    {"value": "u-1", "display": "Ada Lovelace", "$ref": "https://t.example/scim/v2/Users/u-1"},
                    {"value": "u-2", "display": "Bob", "$ref": "https://t.example/scim/v2/Users/u-2"}
                ],
                "meta": {
                    "resourceType": "Group",
                    "created": "2024-05-01T09:00:00Z",
                    "lastModified": "2024-05-01T11:00:00Z",
                    "location": "https://t.example/scim/v2/Groups/g-1",
                    "version": "W/\"7\""
                }
            })
        );
        assert_eq!(
            parse_group(&rendered),
            Ok(ScimGroupIn {
                display_name: "Design".into(),
                external_id: None,
                members: ids(&["u-1", "u-2"])
            })
        );
        assert!(matches(&f(r#"members[value eq "u-2"]"#), &rendered));
    }

    #[test]
    fn list_response_counts_the_page() {
        assert_eq!(
            list_response(vec![json!({"id": "a"}), json!({"id": "b"})], 12, 3),
            json!({"schemas": [LIST_RESPONSE], "totalResults": 12, "startIndex": 3, "itemsPerPage": 2, "Resources": [{"id": "a"}, {"id": "b"}]})
        );
        assert_eq!(list_response(vec![], 0, 1)["itemsPerPage"], json!(0));
    }

    // --- paging and projection ------------------------------------------------------

    #[test]
    fn paging_defaults_clamps_and_refuses_garbage() {
        let p = |s: Option<&str>, c: Option<&str>| paging(s, c).map(|p| (p.start_index, p.count));
        assert_eq!(p(None, None), Ok((1, DEFAULT_COUNT)));
        assert_eq!(p(Some("1"), Some("10")), Ok((1, 10)));
        assert_eq!(p(Some("0"), None), Ok((1, 100)));
        assert_eq!(p(Some("-5"), None), Ok((1, 100)));
        assert_eq!(p(Some(" 21 "), Some("+5")), Ok((21, 5)));
        assert_eq!(p(None, Some("0")), Ok((1, 0)));
        assert_eq!(p(None, Some("-3")), Ok((1, 0)));
        assert_eq!(p(None, Some("5000")), Ok((1, MAX_COUNT)));
        assert_eq!(p(None, Some("99999999999999999999999999")), Ok((1, MAX_COUNT)));
        assert_eq!(p(Some(""), Some("")), Ok((1, DEFAULT_COUNT)));
        for (s, c) in [
            (Some("abc"), None),
            (None, Some("ten")),
            (None, Some("1.5")),
            (Some("-"), None),
            (Some("1e3"), None),
        ] {
            assert_eq!(
                paging(s, c).map_err(|e| e.scim_type),
                Err(Some(ScimType::InvalidValue)),
                "{s:?} {c:?}"
            );
        }
        assert_eq!(paging(Some("11"), None).map(|p| p.offset()), Ok(10));
        assert_eq!(paging(None, None).map(|p| p.offset()), Ok(0));
    }

    #[test]
    fn projection_keeps_what_is_asked_and_what_is_always_returned() {
        let user = user_json(&view());
        let only = project(user.clone(), Some("USERNAME"), None);
        let mut keys: Vec<&String> = only.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        keys.sort();
        assert_eq!(keys, ["id", "meta", "schemas", "userName"]);
        assert_eq!(
            project(user.clone(), Some("name.givenName, emails.value"), None),
            json!({
                "schemas": [USER_SCHEMA],
                "id": "u-1",
                "name": {"givenName": "Ada"},
                "emails": [{"value": "ada@example.com"}],
                "meta": user["meta"].clone(),
            })
        );
        // The whole attribute wins over one of its sub-attributes, in either order.
        assert_eq!(project(user.clone(), Some("name.givenName,name"), None)["name"], user["name"]);
        assert_eq!(project(user.clone(), Some("name,name.givenName"), None)["name"], user["name"]);
        let urn = project(user.clone(), Some("urn:ietf:params:scim:schemas:core:2.0:User:displayName"), None);
        assert_eq!(urn["displayName"], json!("Ada Lovelace"));
        assert!(urn.get("userName").is_none());
        assert_eq!(project(user.clone(), None, None), user);
        assert_eq!(project(user.clone(), Some(" "), Some("")), user);
        assert_eq!(project(user.clone(), Some("nickName"), None).as_object().map(|o| o.len()), Some(3));
    }

    #[test]
    fn projection_of_extension_attributes() {
        let user = barbara();
        let dept = project(
            user.clone(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        );
        assert_eq!(dept[ENTERPRISE_USER_SCHEMA], json!({"department": "Sales"}));
        let whole =
            project(user.clone(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"), None);
        assert_eq!(whole[ENTERPRISE_USER_SCHEMA], user[ENTERPRISE_USER_SCHEMA]);
        let dropped = project(
            user.clone(),
            None,
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
        );
        assert_eq!(dropped[ENTERPRISE_USER_SCHEMA], json!({"department": "Sales"}));
    }

    #[test]
    fn excluded_attributes_are_removed_but_never_the_always_returned_ones() {
        let user = user_json(&view());
        let out = project(user.clone(), None, Some("emails, name.familyName,ID,meta,schemas,Active"));
        assert!(out.get("emails").is_none());
        assert!(out.get("active").is_none());
        assert_eq!(out["name"], json!({"givenName": "Ada", "formatted": "Ada Lovelace"}));
        assert_eq!(out["id"], json!("u-1"));
        assert_eq!(out["schemas"], user["schemas"]);
        assert_eq!(out["meta"], user["meta"]);
        let members = project(group_json(&group_view()), None, Some("members.$ref"));
        assert_eq!(members["members"][0], json!({"value": "u-1", "display": "Ada Lovelace"}));
        let group = project(group_json(&group_view()), None, Some("members"));
        assert!(group.get("members").is_none());
        assert_eq!(group["displayName"], json!("Design"));
    }

    // --- discovery ------------------------------------------------------------------

    #[test]
    fn service_provider_config_advertises_what_is_implemented() {
        let c = service_provider_config("https://t.example/scim/v2/");
        assert_eq!(c["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
        assert_eq!(c["patch"]["supported"], json!(true));
        assert_eq!(c["bulk"]["supported"], json!(false));
        assert_eq!(c["filter"], json!({"supported": true, "maxResults": 1000}));
        for off in ["changePassword", "sort", "etag"] {
            assert_eq!(c[off]["supported"], json!(false), "{off}");
        }
        assert_eq!(c["authenticationSchemes"][0]["type"], json!("oauthbearertoken"));
        assert_eq!(c["authenticationSchemes"][0]["primary"], json!(true));
        assert_eq!(c["meta"]["location"], json!("https://t.example/scim/v2/ServiceProviderConfig"));
    }

    #[test]
    fn resource_types_list_users_with_the_optional_extension_and_groups() {
        let r = resource_types("https://t.example/scim/v2");
        assert_eq!(r["schemas"], json!([LIST_RESPONSE]));
        assert_eq!(r["totalResults"], json!(2));
        let user = &r["Resources"][0];
        assert_eq!(
            (user["id"].clone(), user["endpoint"].clone(), user["schema"].clone()),
            (json!("User"), json!("/Users"), json!(USER_SCHEMA))
        );
        assert_eq!(user["schemaExtensions"], json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false}]));
        assert_eq!(user["meta"]["location"], json!("https://t.example/scim/v2/ResourceTypes/User"));
        let group = &r["Resources"][1];
        assert_eq!(
            (group["id"].clone(), group["endpoint"].clone(), group["schema"].clone()),
            (json!("Group"), json!("/Groups"), json!(GROUP_SCHEMA))
        );
    }

    fn check_attribute(a: &Value, schema: &str) {
        for key in [
            "name",
            "type",
            "multiValued",
            "required",
            "mutability",
            "returned",
            "uniqueness",
            "caseExact",
            "description",
        ] {
            assert!(a.get(key).is_some(), "{schema}: {} lacks {key}", a["name"]);
        }
        let complex = a["type"] == json!("complex");
        assert_eq!(a.get("subAttributes").is_some(), complex, "{schema}: {}", a["name"]);
        for s in a.get("subAttributes").and_then(Value::as_array).into_iter().flatten() {
            check_attribute(s, schema);
        }
    }

    #[test]
    fn schemas_describe_every_supported_attribute_fully() {
        let s = schemas();
        assert_eq!(s["totalResults"], json!(3));
        let docs = s["Resources"].as_array().cloned().unwrap_or_default();
        let ids: Vec<&str> = docs.iter().filter_map(|d| d["id"].as_str()).collect();
        assert_eq!(ids, [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA]);
        for doc in &docs {
            assert_eq!(doc["schemas"], json!([SCHEMA_SCHEMA]));
            for a in doc["attributes"].as_array().into_iter().flatten() {
                check_attribute(a, doc["id"].as_str().unwrap_or(""));
            }
        }
        let names = |i: usize| -> Vec<String> {
            docs[i]["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["name"].as_str().map(String::from))
                .collect()
        };
        assert_eq!(names(0), ["userName", "name", "displayName", "emails", "active"]);
        assert_eq!(names(1), ["displayName", "members"]);
        assert_eq!(docs[0]["attributes"][0]["required"], json!(true));
        assert_eq!(docs[0]["attributes"][0]["uniqueness"], json!("server"));
        assert_eq!(docs[2]["attributes"][0]["returned"], json!("never"));
    }

    #[test]
    fn media_type_and_urns() {
        assert_eq!(MEDIA_TYPE, "application/scim+json");
        assert_eq!(ENTERPRISE_USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
        assert_eq!(PATCH_OP, "urn:ietf:params:scim:api:messages:2.0:PatchOp");
        assert_eq!(LIST_RESPONSE, "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    }
}
