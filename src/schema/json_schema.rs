//! JSON Schema: the payload is JSON text; schemas (with their references) are compiled by the
//! `jsonschema` crate, which checks what `produce` writes. Reading does not validate: a record
//! is shown as the JSON it holds.

use std::collections::HashMap;

use serde_json::Value;

pub struct JsonSchema {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonSchema")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSchemaError(pub String);

impl std::fmt::Display for JsonSchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// References by name (a `$ref` ends with the name the schema gave it); nothing is fetched.
struct References(HashMap<String, Value>);

impl jsonschema::Retrieve for References {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        self.0
            .iter()
            .find(|(name, _)| s == name.as_str() || s.ends_with(&format!("/{name}")))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("reference '{s}' is not among the schema's references").into())
    }
}

impl JsonSchema {
    pub fn parse(
        text: &str,
        references: HashMap<String, String>,
    ) -> Result<JsonSchema, JsonSchemaError> {
        let schema: Value = serde_json::from_str(text)
            .map_err(|e| JsonSchemaError(format!("invalid JSON Schema: not JSON: {e}")))?;
        let mut refs = HashMap::new();
        for (name, t) in references {
            let v: Value = serde_json::from_str(&t).map_err(|e| {
                JsonSchemaError(format!(
                    "invalid JSON Schema reference '{name}': not JSON: {e}"
                ))
            })?;
            refs.insert(name, v);
        }
        let validator = jsonschema::options()
            .with_retriever(References(refs))
            .build(&schema)
            .map_err(|e| JsonSchemaError(format!("invalid JSON Schema: {e}")))?;
        Ok(JsonSchema { validator })
    }

    /// Checks a value; the error names the first failing place and why.
    pub fn check(&self, v: &Value) -> Result<(), JsonSchemaError> {
        match self.validator.iter_errors(v).next() {
            None => Ok(()),
            Some(e) => {
                let at = e.instance_path().to_string();
                Err(JsonSchemaError(format!(
                    "{}: {e}",
                    if at.is_empty() {
                        "$".to_string()
                    } else {
                        format!("${}", at.replace('/', "."))
                    }
                )))
            }
        }
    }

    /// The payload as compact JSON, appended to `out`.
    pub fn decode(payload: &[u8], out: &mut Vec<u8>) -> Result<(), JsonSchemaError> {
        let v: Value = serde_json::from_slice(payload)
            .map_err(|e| JsonSchemaError(format!("the payload is not JSON: {e}")))?;
        serde_json::to_writer(&mut *out, &v).map_err(|e| JsonSchemaError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_references() {
        let addr =
            r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;
        let main = r#"{"type":"object","properties":{"id":{"type":"integer"},"addr":{"$ref":"address.json"}},"required":["id"]}"#;
        let s = JsonSchema::parse(
            main,
            HashMap::from([("address.json".to_string(), addr.to_string())]),
        )
        .unwrap();
        assert!(s
            .check(&serde_json::json!({"id": 1, "addr": {"city": "x"}}))
            .is_ok());
        let e = s.check(&serde_json::json!({"id": "x"})).unwrap_err();
        assert!(e.0.starts_with("$.id"), "{e}");
        let e = s
            .check(&serde_json::json!({"id": 1, "addr": {}}))
            .unwrap_err();
        assert!(e.0.contains("city"), "{e}");
        let mut out = Vec::new();
        JsonSchema::decode(b"{ \"a\" : 1 }", &mut out).unwrap();
        assert_eq!(out, b"{\"a\":1}");
        assert!(JsonSchema::decode(b"{", &mut out).is_err());
        assert!(JsonSchema::parse("{", HashMap::new()).is_err());
    }
}
