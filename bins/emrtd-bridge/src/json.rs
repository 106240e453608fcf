//! The AusweisApp wire format: one JSON object per frame, compact, keys sorted, empty string
//! values left out.

use serde_json::Value;

/// Renders `v` compactly with object keys in sorted order and without `""` members.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map
                .iter()
                .filter(|(_, v)| !matches!(v, Value::String(s) if s.is_empty()))
                .map(|(k, _)| k)
                .collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*k) {
                    write_value(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The parser message the AusweisApp (Qt) reports for broken JSON, with the offset.
pub fn parse_error_message(text: &str, err: &serde_json::Error) -> String {
    let msg = err.to_string();
    let what = if msg.starts_with("EOF while parsing an object") || msg.starts_with("key must be a string") {
        "unterminated object"
    } else if msg.starts_with("EOF while parsing a list") {
        "unterminated array"
    } else if msg.starts_with("EOF while parsing a string") {
        "unterminated string"
    } else if msg.starts_with("expected `:`") {
        "missing name separator"
    } else if msg.starts_with("expected `,` or `}`") {
        "unterminated object"
    } else if msg.starts_with("expected `,` or `]`") {
        "unterminated array"
    } else if msg.starts_with("trailing characters") {
        "garbage at the end of the document"
    } else if msg.starts_with("invalid number") || msg.starts_with("number out of range") {
        "illegal number"
    } else if msg.starts_with("invalid escape") || msg.starts_with("invalid unicode") {
        "illegal escape sequence"
    } else if msg.starts_with("EOF while parsing") {
        "unterminated object"
    } else {
        "illegal value"
    };
    // Offset: bytes before the error line plus the column.
    let line = err.line().max(1);
    let before: usize = text.split('\n').take(line - 1).map(|l| l.len() + 1).sum();
    let offset = if err.column() == 0 && line == 1 {
        text.len()
    } else {
        before + err.column()
    };
    format!("{what} (offset: {offset})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_sorted_compact_and_empty_strings_dropped() {
        let v = json!({"msg":"READER","name":"Simulator","card":null,"attached":true,"x":"","n":{"b":1,"a":[1,{"z":2,"y":""}]}});
        assert_eq!(
            render(&v),
            r#"{"attached":true,"card":null,"msg":"READER","n":{"a":[1,{"z":2}],"b":1},"name":"Simulator"}"#
        );
    }

    #[test]
    fn broken_json_is_reported_like_qt() {
        let text = "{bad json";
        let err = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!(parse_error_message(text, &err), "unterminated object (offset: 2)");
    }
}
