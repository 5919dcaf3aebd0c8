//! Contexts as template values, as minijinja's own serde conversion makes them (the same kinds,
//! numbers, `none`s, map orders), except that maps and structs become a [`Map`]: its entries
//! are in one vector, which the renderer writes by reference. (minijinja's maps hand their
//! entries out one boxed iterator and clone at a time: for 5,000 steps' small maps, most of
//! the rendering time.)

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, Value};
use serde::ser::{self, Serialize};

/// A map or a struct of a context.
#[derive(Debug)]
pub struct Map {
    /// A struct's fields in field order; a map's entries sorted by key, the last of equal keys
    /// kept (as minijinja's map keeps them).
    pub entries: Vec<(Value, Value)>,
    /// Whether `entries` are sorted by key (a map, not a struct).
    pub sorted: bool,
}

impl Object for Map {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let found = if self.sorted {
            self.entries.binary_search_by(|(k, _)| k.cmp(key)).ok()
        } else {
            self.entries.iter().position(|(k, _)| k == key)
        };
        found.map(|i| self.entries[i].1.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_enumerator(|this| Box::new(this.entries.iter().map(|(k, _)| k.clone())))
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// `value` as templates read it.
pub fn to_value<S: Serialize + ?Sized>(value: &S) -> Value {
    value.serialize(Serializer).expect("contexts are plain data")
}

fn map(mut entries: Vec<(Value, Value)>) -> Value {
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    // Of equal keys, the last one written wins.
    entries.dedup_by(|later, kept| {
        let equal = later.0 == kept.0;
        if equal {
            std::mem::swap(later, kept);
        }
        equal
    });
    Value::from_object(Map { entries, sorted: true })
}

fn one(key: &'static str, value: Value) -> Value {
    Value::from_object(Map { entries: vec![(Value::from(key), value)], sorted: true })
}

/// A context that is not plain data (never: contexts are our own structs).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, Error>;

struct Serializer;

impl ser::Serializer for Serializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Seq;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::from(f64::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::from_bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::from(()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::from(()))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::from(()))
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Value> {
        Ok(Value::from(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        Ok(one(variant, value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq> {
        Ok(Seq { items: Vec::with_capacity(len.unwrap_or(0).min(1024)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq> {
        Ok(Seq { items: Vec::with_capacity(len.min(1024)), variant: Some(variant) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder> {
        Ok(MapBuilder::new(len.unwrap_or(0), true, None))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder> {
        Ok(MapBuilder::new(len, false, None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder> {
        Ok(MapBuilder::new(len, true, Some(variant)))
    }
}

/// A sequence (of a tuple variant, inside a one-entry map).
struct Seq {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl Seq {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(Serializer)?);
        Ok(())
    }

    fn finish(self) -> Value {
        let seq = Value::from(self.items);
        match self.variant {
            Some(variant) => one(variant, seq),
            None => seq,
        }
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

/// A map (sorted when done), a struct (in field order), or a struct variant's fields (sorted,
/// inside a one-entry map).
struct MapBuilder {
    entries: Vec<(Value, Value)>,
    key: Option<Value>,
    sorted: bool,
    variant: Option<&'static str>,
}

impl MapBuilder {
    fn new(len: usize, sorted: bool, variant: Option<&'static str>) -> MapBuilder {
        MapBuilder { entries: Vec::with_capacity(len.min(1024)), key: None, sorted, variant }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.entries.push((Value::from(key), value.serialize(Serializer)?));
        Ok(())
    }

    fn finish(self) -> Value {
        let value = if self.sorted {
            map(self.entries)
        } else {
            Value::from_object(Map { entries: self.entries, sorted: false })
        };
        match self.variant {
            Some(variant) => one(variant, value),
            None => value,
        }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(Serializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        self.entries.push((key, value.serialize(Serializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use minijinja::value::Serde;
    use minijinja::{Environment, Value};
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(u8),
        Pair(i32, f64),
        Fields { z: bool, a: Option<String> },
    }

    #[derive(Serialize)]
    struct Inner {
        zeta: u64,
        alpha: Vec<Kind>,
    }

    #[derive(Serialize)]
    struct Context {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<u32>,
        none: Option<u32>,
        labels: BTreeMap<String, String>,
        #[serde(flatten)]
        inner: Inner,
        big: u128,
        bytes: serde_bytes_like::Bytes,
    }

    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// Everything a template may do with a value (attributes, iteration in order, `items`,
    /// tests, length, JSON) gives the same text for both conversions.
    #[test]
    fn templates_read_the_values_as_minijinja_makes_them() {
        let context = Context {
            name: "n".into(),
            absent: None,
            none: None,
            labels: BTreeMap::from([("b".into(), "2".into()), ("a".into(), "1".into())]),
            inner: Inner {
                zeta: 7,
                alpha: vec![
                    Kind::Plain,
                    Kind::Wrapped(3),
                    Kind::Pair(-1, 0.5),
                    Kind::Fields { z: true, a: Some("x".into()) },
                ],
            },
            big: u128::MAX,
            bytes: serde_bytes_like::Bytes(vec![1, 2]),
        };
        let template = "{{ c|tojson }}|{% for k in c %}{{ k }},{% endfor %}|{% for k, v in c.labels|items %}{{ k }}={{ v }},{% endfor %}|{{ c.absent is defined }}{{ c.none is none }}{{ c.alpha|length }}{{ c.alpha[3].fields.a }}{{ c.zeta + 1 }}{{ c.big }}|{% for k in c.alpha[3].fields %}{{ k }}{% endfor %}";
        let env = Environment::new();
        let render = |c: Value| env.render_str(template, minijinja::context! { c }).unwrap();
        let ours = render(super::to_value(&context));
        assert_eq!(ours, render(Value::from(Serde(&context))));
        assert!(ours.contains("|a=1,b=2,|"), "{ours}");
    }
}
