//! The field-type schema an EQL query is lowered against: field → type, and aliases, read
//! from an Elasticsearch mapping (`{"properties": {...}}`, nested `properties` for objects,
//! `"type": "alias"` with a `path`). Answers depend on it: a `date` field compares with
//! date texts and epoch numbers, a `long` compares as an integer, a `keyword` as text.
//! Types vigil does not distinguish (`wildcard`, `constant_keyword`, `match_only_text`,
//! `integer`, `float` …) read as the nearest one it does.

use std::collections::{HashMap, HashSet};

use vigil_ir::FieldType;

/// Field types and aliases by full dotted path.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    types: HashMap<String, FieldType>,
    aliases: HashMap<String, String>,
    /// `null_value`: what Elasticsearch indexes for an explicit JSON `null`.
    null_values: HashMap<String, String>,
    /// `format` of `date` fields (`dd-MM-yyyy`, `strict_date_optional_time||epoch_millis`),
    /// one per index the schema was merged from.
    date_formats: HashMap<String, Vec<String>>,
    /// Every field the mapping has, of any type (also those read as `Unknown`), and the
    /// fields added by [`Schema::add_dynamic`].
    known: HashSet<String>,
}

impl Schema {
    /// Reads an Elasticsearch mapping: the JSON object with `properties` (optionally under
    /// `mappings`). Unknown types are left out (the field reads as the event holds it).
    pub fn from_mapping(json: &str) -> Result<Schema, String> {
        let root: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("the mapping is not JSON: {e}"))?;
        let root = root.get("mappings").unwrap_or(&root);
        let properties = root.get("properties").and_then(serde_json::Value::as_object).ok_or("the mapping has no `properties` object")?;
        let mut schema = Schema::default();
        let mut stack: Vec<(String, &serde_json::Map<String, serde_json::Value>)> = vec![(String::new(), properties)];
        while let Some((prefix, props)) = stack.pop() {
            for (name, def) in props {
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                if let Some(inner) = def.get("properties").and_then(serde_json::Value::as_object) {
                    stack.push((path.clone(), inner));
                }
                let ty = def.get("type").and_then(serde_json::Value::as_str);
                if ty.is_some() {
                    schema.known.insert(path.clone());
                }
                if let Some(format) = def.get("format").and_then(serde_json::Value::as_str) {
                    schema.date_formats.insert(path.clone(), vec![format.to_string()]);
                }
                match ty {
                    Some("alias") => {
                        if let Some(target) = def.get("path").and_then(serde_json::Value::as_str) {
                            schema.aliases.insert(path, target.to_string());
                        }
                    }
                    Some(ty) => {
                        match def.get("null_value") {
                            Some(serde_json::Value::String(v)) => {
                                schema.null_values.insert(path.clone(), v.clone());
                            }
                            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                                schema.null_values.insert(path.clone(), v.to_string());
                            }
                            _ => {}
                        }
                        if let Some(ty) = field_type(ty) {
                            schema.types.insert(path, ty);
                        }
                    }
                    None => {}
                }
            }
        }
        Ok(schema)
    }

    /// Adds or replaces one field's type.
    pub fn insert(&mut self, field: &str, ty: FieldType) {
        self.types.insert(field.to_string(), ty);
    }

    /// The field an alias points to, or the field itself.
    pub fn resolve<'a>(&'a self, field: &'a str) -> &'a str {
        self.aliases.get(field).map_or(field, String::as_str)
    }

    /// The type of a field (after aliases); `Unknown` when the schema does not have it.
    pub fn type_of(&self, field: &str) -> FieldType {
        self.types.get(self.resolve(field)).copied().unwrap_or_default()
    }

    /// The value an explicit `null` of the field is indexed as (`null_value`), if any.
    pub fn null_value(&self, field: &str) -> Option<&str> {
        self.null_values.get(self.resolve(field)).map(String::as_str)
    }

    /// True when the mapping has the field (after aliases), or it was added as dynamic.
    pub fn knows(&self, field: &str) -> bool {
        self.known.contains(self.resolve(field))
    }

    /// Adds a field the data carries but the mapping does not name, as Elasticsearch's
    /// dynamic mapping does when it indexes the data: the field then exists (read as the
    /// event holds it).
    pub fn add_dynamic(&mut self, field: &str) {
        if !self.knows(field) {
            self.known.insert(field.to_string());
        }
    }

    /// The `format`s of a `date` field: one per merged mapping that gave one, or Elasticsearch's
    /// default (`strict_date_optional_time||epoch_millis`) when none did.
    pub fn date_formats(&self, field: &str) -> Vec<String> {
        self.date_formats.get(self.resolve(field)).cloned().unwrap_or_else(|| vec![DEFAULT_DATE_FORMAT.to_string()])
    }

    /// Merges the mapping of another index searched together with this one (a multi-index
    /// query): fields, aliases and null values this one lacks are added (this one's win on a
    /// conflict); a `date` field's formats are the formats of both, tried in order.
    pub fn merge(&mut self, other: Schema) {
        // A date field without a `format` of its own reads with the default one.
        let formats = |schema: &Schema, field: &str| match schema.date_formats.get(field) {
            Some(f) => f.clone(),
            None if schema.types.get(field) == Some(&FieldType::Date) => vec![DEFAULT_DATE_FORMAT.to_string()],
            None => Vec::new(),
        };
        let fields: HashSet<&String> = self.date_formats.keys().chain(other.date_formats.keys()).collect();
        let mut merged = HashMap::with_capacity(fields.len());
        for field in fields {
            let mut all = formats(self, field);
            for f in formats(&other, field) {
                if !all.contains(&f) {
                    all.push(f);
                }
            }
            merged.insert(field.clone(), all);
        }
        self.date_formats = merged;
        for (field, ty) in other.types {
            self.types.entry(field).or_insert(ty);
        }
        for (field, target) in other.aliases {
            self.aliases.entry(field).or_insert(target);
        }
        for (field, v) in other.null_values {
            self.null_values.entry(field).or_insert(v);
        }
        self.known.extend(other.known);
    }

    /// True when the schema names no field.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.aliases.is_empty() && self.known.is_empty()
    }
}

/// Elasticsearch's `format` of a `date` field that names none.
pub const DEFAULT_DATE_FORMAT: &str = "strict_date_optional_time||epoch_millis";

/// The type vigil reads an Elasticsearch field type as.
pub fn field_type(es: &str) -> Option<FieldType> {
    Some(match es {
        "keyword" | "constant_keyword" | "wildcard" => FieldType::Keyword,
        "text" | "match_only_text" => FieldType::Text,
        "long" | "integer" | "short" | "byte" | "unsigned_long" => FieldType::Long,
        "double" | "float" | "half_float" | "scaled_float" => FieldType::Double,
        "date" | "date_nanos" => FieldType::Date,
        "ip" => FieldType::Ip,
        "version" => FieldType::Version,
        "boolean" => FieldType::Boolean,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_types_nested_objects_and_aliases() {
        let schema = Schema::from_mapping(
            r#"{"properties": {"pid": {"type": "long"}, "event_type": {"type": "keyword"}, "@timestamp": {"type": "date"},
                "event": {"properties": {"category": {"type": "alias", "path": "event_type"}}},
                "host": {"type": "text", "fields": {"keyword": {"type": "keyword"}}}, "v": {"type": "version"}, "x": {"type": "geo_point"}, "n": {"type": "keyword", "null_value": "NULL"}}}"#,
        )
        .unwrap();
        assert_eq!(schema.type_of("pid"), FieldType::Long);
        assert_eq!(schema.type_of("@timestamp"), FieldType::Date);
        assert_eq!(schema.resolve("event.category"), "event_type");
        assert_eq!(schema.type_of("event.category"), FieldType::Keyword);
        assert_eq!(schema.type_of("host"), FieldType::Text);
        assert_eq!(schema.type_of("v"), FieldType::Version);
        assert_eq!(schema.type_of("x"), FieldType::Unknown);
        assert_eq!(schema.type_of("absent"), FieldType::Unknown);
        assert_eq!((schema.null_value("n"), schema.null_value("pid")), (Some("NULL"), None));
        assert!(Schema::from_mapping("[1]").is_err());
        assert!(Schema::from_mapping("{").is_err());
    }

    #[test]
    fn merging_keeps_each_index_date_format_and_dynamic_fields_are_known() {
        let mut a = Schema::from_mapping(r#"{"properties": {"d": {"type": "date", "format": "dd-MM-yyyy"}, "k": {"type": "keyword"}}}"#).unwrap();
        let b = Schema::from_mapping(r#"{"properties": {"d": {"type": "date"}, "g": {"type": "geo_point"}}}"#).unwrap();
        assert!(!a.knows("g") && b.knows("g") && b.type_of("g") == FieldType::Unknown);
        a.merge(b);
        assert_eq!(a.date_formats("d"), ["dd-MM-yyyy", DEFAULT_DATE_FORMAT]);
        assert_eq!(a.date_formats("k"), [DEFAULT_DATE_FORMAT]);
        assert!(a.knows("g") && a.knows("k") && !a.knows("x"));
        a.add_dynamic("x");
        assert!(a.knows("x") && a.type_of("x") == FieldType::Unknown);
    }
}
