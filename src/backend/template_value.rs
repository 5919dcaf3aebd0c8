//! Contexts as template values, as minijinja's own serde conversion makes them (the same kinds,
//! numbers, `none`s, map orders), but held in one [`Tape`]: a context becomes a few flat
//! vectors (its nodes, their children, its text) instead of a tree of small maps, lists and
//! strings, and a map or list is a [`View`] into the tape made when a template reads it. (A
//! tree of 5,000 steps' small maps cost more to build and to free than the templates took to
//! lay it out; the renderer writes a view straight from the tape.)

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, Value};
use serde::ser::{self, Serialize};

/// A converted context: every node of its tree; the children of each list or map in one run.
#[derive(Debug, Default)]
pub struct Tape {
    nodes: Vec<Node>,
    /// The items of the sequences (node ids).
    items: Vec<usize>,
    /// The entries of the maps (key and value node ids).
    entries: Vec<(usize, usize)>,
    /// Every string of the context, one after the other.
    text: String,
}

#[derive(Debug)]
enum Node {
    /// None, a bool, a number, bytes, a char: kept as the value itself.
    Scalar(Value),
    /// A string of `text`.
    Str(usize, usize),
    /// A field or variant name.
    Name(&'static str),
    /// `len` items at `items[start..]`.
    Seq { start: usize, len: usize },
    /// `len` entries at `entries[start..]`: a struct's fields in field order, or a map's entries
    /// sorted by key (`sorted`), the last of equal keys kept (as minijinja's map keeps them).
    Map { start: usize, len: usize, sorted: bool },
}

/// What a node is, for the renderer.
pub enum Part<'a> {
    Scalar(&'a Value),
    Str(&'a str),
    /// Item node ids.
    Seq(&'a [usize]),
    /// Key and value node ids; `sorted` when in key order.
    Map {
        entries: &'a [(usize, usize)],
        sorted: bool,
    },
}

impl Tape {
    /// Node `id`.
    #[inline]
    pub fn part(&self, id: usize) -> Part<'_> {
        match self.nodes[id] {
            Node::Scalar(ref v) => Part::Scalar(v),
            Node::Str(start, end) => Part::Str(&self.text[start..end]),
            Node::Name(name) => Part::Str(name),
            Node::Seq { start, len } => Part::Seq(&self.items[start..start + len]),
            Node::Map { start, len, sorted } => Part::Map { entries: &self.entries[start..start + len], sorted },
        }
    }

    /// The text of node `id` when it is a string.
    #[inline]
    pub fn str(&self, id: usize) -> Option<&str> {
        match self.nodes[id] {
            Node::Str(start, end) => Some(&self.text[start..end]),
            Node::Name(name) => Some(name),
            _ => None,
        }
    }

    /// Node `id` as a template value: strings and scalars as themselves, a map or a list as a
    /// view.
    pub fn value(self: &Arc<Self>, id: usize) -> Value {
        match self.nodes[id] {
            Node::Scalar(ref v) => v.clone(),
            Node::Str(start, end) => Value::from(&self.text[start..end]),
            Node::Name(name) => Value::from(name),
            Node::Seq { .. } | Node::Map { .. } => Value::from_object(View { tape: Arc::clone(self), node: id }),
        }
    }

    /// Key node `id` against a template's key, as minijinja orders values.
    fn cmp_key(self: &Arc<Self>, id: usize, key: &Value) -> Ordering {
        match (self.str(id), key.as_str()) {
            (Some(a), Some(b)) => a.cmp(b),
            _ => self.value(id).cmp(key),
        }
    }

    fn cmp_keys(self: &Arc<Self>, a: usize, b: usize) -> Ordering {
        match (self.str(a), self.str(b)) {
            (Some(a), Some(b)) => a.cmp(b),
            _ => self.value(a).cmp(&self.value(b)),
        }
    }
}

/// A map or a list of a context: a node of its tape.
#[derive(Debug)]
pub struct View {
    tape: Arc<Tape>,
    node: usize,
}

impl View {
    /// The value of this map's entry whose key is the one looked for: `eq` tells whether a key
    /// node is it, `cmp` orders a key node against it (for a binary search of a long sorted
    /// map; a short one is scanned, most keys told apart by their length alone).
    fn find(&self, eq: impl Fn(usize) -> bool, cmp: impl Fn(usize) -> Ordering) -> Option<Value> {
        let Part::Map { entries, sorted } = self.tape.part(self.node) else { return None };
        let found = if sorted && entries.len() > 8 {
            entries.binary_search_by(|&(k, _)| cmp(k)).ok()
        } else {
            entries.iter().position(|&(k, _)| eq(k))
        };
        found.map(|i| self.tape.value(entries[i].1))
    }

    pub fn tape(&self) -> &Arc<Tape> {
        &self.tape
    }

    pub fn node(&self) -> usize {
        self.node
    }
}

impl Object for View {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.tape.nodes[self.node] {
            Node::Seq { .. } => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let tape = &self.tape;
        match tape.part(self.node) {
            Part::Seq(items) => items.get(key.as_usize()?).map(|&id| tape.value(id)),
            _ => self.find(|k| tape.cmp_key(k, key) == Ordering::Equal, |k| tape.cmp_key(k, key)),
        }
    }

    /// Attributes (`step.name`), without making the name a value first.
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let tape = &self.tape;
        if let Part::Seq(_) = tape.part(self.node) {
            return self.get_value(&Value::from(key));
        }
        let cmp = |k| match tape.str(k) {
            Some(name) => name.cmp(key),
            None => tape.value(k).cmp(&Value::from(key)),
        };
        self.find(|k| tape.str(k).map_or_else(|| cmp(k) == Ordering::Equal, |name| name == key), cmp)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.tape.part(self.node) {
            Part::Seq(items) => Enumerator::Seq(items.len()),
            _ => self.mapped_enumerator(|this| {
                let Part::Map { entries, .. } = this.tape.part(this.node) else { unreachable!("a map") };
                Box::new(entries.iter().map(|&(k, _)| this.tape.value(k)))
            }),
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(match self.tape.part(self.node) {
            Part::Seq(items) => items.len(),
            Part::Map { entries, .. } => entries.len(),
            Part::Scalar(_) | Part::Str(_) => 0,
        })
    }
}

/// A map built by hand (a backend's own view of its data), as `to_value` would make it.
#[derive(Debug)]
pub struct Map {
    /// A struct's fields in field order, or a map's entries sorted by key, each key once.
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

impl Map {
    /// The top-level entries of a converted context (`to_value` of a struct or a map), to add
    /// to; `None` when it is not a map.
    pub fn of(value: &Value) -> Option<Map> {
        let view = value.downcast_object_ref::<View>()?;
        let Part::Map { entries, sorted } = view.tape.part(view.node) else { return None };
        let entries = entries.iter().map(|&(k, v)| (view.tape.value(k), view.tape.value(v))).collect();
        Some(Map { entries, sorted })
    }
}

/// `value` as templates read it.
pub fn to_value<S: Serialize + ?Sized>(value: &S) -> Value {
    let mut builder = Builder::default();
    let root = value.serialize(Serializer(&mut builder)).expect("contexts are plain data");
    Arc::new(builder.tape).value(root)
}

/// A tape being written; the stacks hold the children of the nodes not yet finished.
#[derive(Default)]
struct Builder {
    tape: Tape,
    items: Vec<usize>,
    entries: Vec<(usize, usize)>,
}

impl Builder {
    fn push(&mut self, node: Node) -> usize {
        self.tape.nodes.push(node);
        self.tape.nodes.len() - 1
    }

    /// A one-entry map `{variant: value}` (how an enum variant with data is seen).
    fn variant(&mut self, variant: &'static str, value: usize) -> usize {
        let key = self.push(Node::Name(variant));
        let start = self.tape.entries.len();
        self.tape.entries.push((key, value));
        self.push(Node::Map { start, len: 1, sorted: true })
    }

    /// The map of the entries from `mark` on: sorted by key when `sorted`, the last of equal
    /// keys kept.
    fn map(&mut self, mark: usize, sorted: bool) -> usize {
        let mut len = self.entries.len() - mark;
        if sorted {
            let tape = &self.tape;
            let entries = &mut self.entries[mark..];
            if entries.iter().all(|e| tape.str(e.0).is_some()) {
                len = sort_keys(entries, |a, b| tape.str(a).cmp(&tape.str(b)));
            } else {
                // Keys that are not all strings compare as values, which views need a shared tape for.
                let tape = Arc::new(std::mem::take(&mut self.tape));
                len = sort_keys(&mut self.entries[mark..], |a, b| tape.cmp_keys(a, b));
                self.tape = Arc::into_inner(tape).expect("no view of a tape being written");
            }
        }
        let start = self.tape.entries.len();
        self.tape.entries.extend_from_slice(&self.entries[mark..mark + len]);
        self.entries.truncate(mark);
        self.push(Node::Map { start, len, sorted })
    }
}

/// Sorts `entries` by key and keeps, of equal keys, the one written last (as minijinja's map
/// does); returns how many are kept, at the front.
fn sort_keys(entries: &mut [(usize, usize)], cmp: impl Fn(usize, usize) -> Ordering) -> usize {
    // Most maps come sorted (a `BTreeMap`'s entries).
    if entries.windows(2).all(|w| cmp(w[0].0, w[1].0) == Ordering::Less) {
        return entries.len();
    }
    entries.sort_by(|a, b| cmp(a.0, b.0));
    let mut kept = 0;
    for i in 0..entries.len() {
        if kept > 0 && cmp(entries[kept - 1].0, entries[i].0) == Ordering::Equal {
            entries[kept - 1] = entries[i];
        } else {
            entries[kept] = entries[i];
            kept += 1;
        }
    }
    kept
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

/// Writes a value into the tape; returns its node id.
struct Serializer<'a>(&'a mut Builder);

impl Serializer<'_> {
    fn scalar(self, value: Value) -> usize {
        self.0.push(Node::Scalar(value))
    }
}

impl<'a> ser::Serializer for Serializer<'a> {
    type Ok = usize;
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = MapBuilder<'a>;
    type SerializeStruct = MapBuilder<'a>;
    type SerializeStructVariant = MapBuilder<'a>;

    fn serialize_bool(self, v: bool) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_i8(self, v: i8) -> Result<usize> {
        Ok(self.scalar(Value::from(i64::from(v))))
    }
    fn serialize_i16(self, v: i16) -> Result<usize> {
        Ok(self.scalar(Value::from(i64::from(v))))
    }
    fn serialize_i32(self, v: i32) -> Result<usize> {
        Ok(self.scalar(Value::from(i64::from(v))))
    }
    fn serialize_i64(self, v: i64) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_i128(self, v: i128) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<usize> {
        Ok(self.scalar(Value::from(u64::from(v))))
    }
    fn serialize_u16(self, v: u16) -> Result<usize> {
        Ok(self.scalar(Value::from(u64::from(v))))
    }
    fn serialize_u32(self, v: u32) -> Result<usize> {
        Ok(self.scalar(Value::from(u64::from(v))))
    }
    fn serialize_u64(self, v: u64) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_u128(self, v: u128) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_f32(self, v: f32) -> Result<usize> {
        Ok(self.scalar(Value::from(f64::from(v))))
    }
    fn serialize_f64(self, v: f64) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_char(self, v: char) -> Result<usize> {
        Ok(self.scalar(Value::from(v)))
    }
    fn serialize_str(self, v: &str) -> Result<usize> {
        let text = &mut self.0.tape.text;
        let start = text.len();
        text.push_str(v);
        let end = text.len();
        Ok(self.0.push(Node::Str(start, end)))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<usize> {
        Ok(self.scalar(Value::from_bytes(v.to_vec())))
    }
    fn serialize_none(self) -> Result<usize> {
        Ok(self.scalar(Value::from(())))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<usize> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<usize> {
        Ok(self.scalar(Value::from(())))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<usize> {
        Ok(self.scalar(Value::from(())))
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<usize> {
        Ok(self.0.push(Node::Name(variant)))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<usize> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<usize> {
        let value = value.serialize(Serializer(&mut *self.0))?;
        Ok(self.0.variant(variant, value))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>> {
        let mark = self.0.items.len();
        Ok(Seq { builder: self.0, mark, variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Seq<'a>> {
        let mark = self.0.items.len();
        Ok(Seq { builder: self.0, mark, variant: Some(variant) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder<'a>> {
        Ok(MapBuilder::new(self.0, true, None))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<MapBuilder<'a>> {
        Ok(MapBuilder::new(self.0, false, None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<MapBuilder<'a>> {
        Ok(MapBuilder::new(self.0, true, Some(variant)))
    }
}

/// A sequence (of a tuple variant, inside a one-entry map).
struct Seq<'a> {
    builder: &'a mut Builder,
    /// Where its items start on the builder's stack.
    mark: usize,
    variant: Option<&'static str>,
}

impl Seq<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let item = value.serialize(Serializer(&mut *self.builder))?;
        self.builder.items.push(item);
        Ok(())
    }

    fn finish(self) -> usize {
        let b = self.builder;
        let start = b.tape.items.len();
        b.tape.items.extend_from_slice(&b.items[self.mark..]);
        b.items.truncate(self.mark);
        let seq = b.push(Node::Seq { start, len: b.tape.items.len() - start });
        match self.variant {
            Some(variant) => b.variant(variant, seq),
            None => seq,
        }
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<usize> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<usize> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<usize> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<usize> {
        Ok(self.finish())
    }
}

/// A map (sorted when done), a struct (in field order), or a struct variant's fields (sorted,
/// inside a one-entry map).
struct MapBuilder<'a> {
    builder: &'a mut Builder,
    /// Where its entries start on the builder's stack.
    mark: usize,
    key: Option<usize>,
    sorted: bool,
    variant: Option<&'static str>,
}

impl<'a> MapBuilder<'a> {
    fn new(builder: &'a mut Builder, sorted: bool, variant: Option<&'static str>) -> MapBuilder<'a> {
        let mark = builder.entries.len();
        MapBuilder { builder, mark, key: None, sorted, variant }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let key = self.builder.push(Node::Name(key));
        let value = value.serialize(Serializer(&mut *self.builder))?;
        self.builder.entries.push((key, value));
        Ok(())
    }

    fn finish(self) -> usize {
        let map = self.builder.map(self.mark, self.sorted);
        match self.variant {
            Some(variant) => self.builder.variant(variant, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for MapBuilder<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(Serializer(&mut *self.builder))?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        let value = value.serialize(Serializer(&mut *self.builder))?;
        self.builder.entries.push((key, value));
        Ok(())
    }
    fn end(self) -> Result<usize> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<usize> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder<'_> {
    type Ok = usize;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<usize> {
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
