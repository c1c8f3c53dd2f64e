//! How figures read in the console and in the labels server functions build: shared by
//! the server and the browser so a number reads the same wherever it is drawn.

/// `1234567` as "1,234,567".
pub fn fmt_int(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `n` and the noun that goes with it: "1 token", "1,000 tokens".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", fmt_int(n), if n == 1 { one } else { many })
}

/// A parser's message as a sentence for people: capital first letter, full stop at the end
/// ("email address is empty" → "Email address is empty.").
pub fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => {
            f.to_uppercase().collect::<String>() + c.as_str() + if s.ends_with('.') { "" } else { "." }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(sentence("email address is empty"), "Email address is empty.");
        assert_eq!(sentence("done."), "Done.");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(fmt_int(0), "0");
        assert_eq!(fmt_int(10000), "10,000");
        assert_eq!(fmt_int(-1234567), "-1,234,567");
    }
}
