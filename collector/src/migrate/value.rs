//! One SQLite value on its way to a PostgreSQL column, and the conversions between the two
//! engines' types: integers to `bigint` or `integer`, text to `text` or `jsonb`, blobs to
//! `bytea`, written in PostgreSQL's binary format for `COPY … FROM STDIN BINARY`.
//!
//! PostgreSQL refuses two things SQLite keeps: a NUL character in `text` (and the escape
//! `\u0000` in `jsonb`), and text that is not UTF-8. Neither is ever written by the collector
//! itself, but a beacon's property could carry a NUL; such characters become U+FFFD (the
//! replacement character) and are counted, so that one odd value cannot stop a migration and
//! the report says how many were changed.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use rusqlite::types::ValueRef;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// A value read from SQLite, ready for the PostgreSQL column it goes to.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// Reads a SQLite value for a column of type `ty`; `repaired` counts the values changed
    /// because PostgreSQL cannot hold them as they are.
    pub fn from_sqlite(value: ValueRef<'_>, ty: &Type, repaired: &mut u64) -> Value {
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(x) => Value::Real(x),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            ValueRef::Text(bytes) => {
                let mut text = match std::str::from_utf8(bytes) {
                    Ok(s) => s.to_owned(),
                    Err(_) => {
                        *repaired += 1;
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                };
                if text.contains('\0') {
                    *repaired += 1;
                    text = text.replace('\0', "\u{fffd}");
                }
                if *ty == Type::JSONB && text.contains("\\u0000") {
                    if let Some(fixed) = json_without_nul(&text) {
                        *repaired += 1;
                        text = fixed;
                    }
                }
                Value::Text(text)
            }
        }
    }

    /// The value as a key in `migration_progress` (a JSON array of the key's columns).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(n) => (*n).into(),
            Value::Real(x) => (*x).into(),
            Value::Text(s) => s.as_str().into(),
            // Never a key column of the tables copied; kept readable all the same.
            Value::Blob(b) => b
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
                .into(),
        }
    }

    /// A key column read back from `migration_progress`.
    pub fn from_json(value: &serde_json::Value) -> Value {
        match value {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Real(n.as_f64().unwrap_or_default()),
            },
            serde_json::Value::String(s) => Value::Text(s.clone()),
            _ => Value::Null,
        }
    }
}

/// The JSON text with every NUL character in its strings replaced by U+FFFD, or `None` when
/// it has none after all (an escaped backslash followed by `u0000`) or is not JSON.
fn json_without_nul(text: &str) -> Option<String> {
    fn fix(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) if s.contains('\0') => {
                *s = s.replace('\0', "\u{fffd}");
                true
            }
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |f, v| fix(v) | f),
            serde_json::Value::Object(map) => {
                let mut changed = false;
                let keys: Vec<String> = map.keys().filter(|k| k.contains('\0')).cloned().collect();
                for key in keys {
                    if let Some(v) = map.remove(&key) {
                        map.insert(key.replace('\0', "\u{fffd}"), v);
                        changed = true;
                    }
                }
                map.values_mut().fold(changed, |f, v| fix(v) | f)
            }
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    fix(&mut value).then(|| value.to_string())
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(n), &Type::INT8) => n.to_sql(ty, out),
            (Value::Int(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
            (Value::Int(n), &Type::INT2) => i16::try_from(*n)?.to_sql(ty, out),
            (Value::Int(n), &Type::BOOL) => (*n != 0).to_sql(ty, out),
            (Value::Int(n), &Type::FLOAT8) => (*n as f64).to_sql(ty, out),
            (Value::Real(x), &Type::FLOAT8) => x.to_sql(ty, out),
            // jsonb's binary format: a version byte, then the JSON text (checked by the server).
            (Value::Text(s), &Type::JSONB) => {
                out.put_u8(1);
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (Value::Text(s), &Type::JSON) => {
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (Value::Text(s), _) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            (Value::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            (value, _) => Err(format!("a SQLite {value:?} does not fit a PostgreSQL {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: ValueRef<'_>, ty: &Type) -> (Value, u64) {
        let mut repaired = 0;
        (Value::from_sqlite(value, ty, &mut repaired), repaired)
    }

    #[test]
    fn nul_characters_become_replacement_characters_and_are_counted() {
        assert_eq!(
            read(ValueRef::Text(b"a\0b"), &Type::TEXT),
            (Value::Text("a\u{fffd}b".into()), 1)
        );
        assert_eq!(
            read(ValueRef::Text(br#"{"k\u0000":"v\u0000"}"#), &Type::JSONB),
            (Value::Text("{\"k\u{fffd}\":\"v\u{fffd}\"}".into()), 1)
        );
        // An escaped backslash before "u0000" is no NUL: left as it is.
        let literal = br#"{"k":"\\u0000"}"#;
        assert_eq!(
            read(ValueRef::Text(literal), &Type::JSONB),
            (Value::Text(String::from_utf8(literal.to_vec()).unwrap()), 0)
        );
        assert_eq!(
            read(ValueRef::Text(b"ok\xff"), &Type::TEXT),
            (Value::Text("ok\u{fffd}".into()), 1)
        );
    }

    #[test]
    fn keys_survive_their_trip_through_json() {
        for key in [
            Value::Int(-3),
            Value::Int(i64::MAX),
            Value::Text("é\"x".into()),
        ] {
            assert_eq!(Value::from_json(&key.to_json()), key);
        }
    }
}
