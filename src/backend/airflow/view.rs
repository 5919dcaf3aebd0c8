//! The DAG's tasks as the template reads them: a task's fields become template values when the
//! template reads them, not all converted before rendering. For 5,000 tasks that conversion, and
//! freeing what it built, cost more than the lowering.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::{Pairs, TaskContext};
use crate::backend::template_value::{to_value, Map};

/// `tasks`: a list of [`Task`]s.
#[derive(Debug)]
pub struct Tasks(pub Arc<Vec<TaskContext>>);

impl Object for Tasks {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize().filter(|&i| i < self.0.len())?;
        Some(Value::from_object(Task { tasks: Arc::clone(&self.0), i }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

/// One task: the fields of [`TaskContext`], in their order, as `template_value` converts them.
#[derive(Debug)]
pub struct Task {
    tasks: Arc<Vec<TaskContext>>,
    i: usize,
}

const FIELDS: &[&str] = &[
    "task_id",
    "name",
    "plain",
    "image",
    "cmds",
    "arguments",
    "env",
    "pod",
    "labels",
    "annotations",
    "more",
    "upstream",
];

impl Object for Task {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let t = &self.tasks[self.i];
        Some(match key {
            "task_id" => Value::from(&*t.task_id.0),
            "name" => Value::from(t.name.as_str()),
            "plain" => Value::from(t.plain),
            "image" => to_value(&t.image),
            "cmds" => to_value(&t.cmds),
            "arguments" => strings(t.arguments.iter().map(String::as_str)),
            "env" => to_value(&t.env),
            "pod" => to_value(&t.pod),
            "labels" => pairs(&t.labels),
            "annotations" => pairs(&t.annotations),
            "more" => to_value(&t.more),
            "upstream" => strings(t.upstream.iter().map(|u| &*u.0)),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(FIELDS)
    }
}

/// A list of strings, as `to_value` makes it.
fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::from(items.map(Value::from).collect::<Vec<_>>())
}

/// A map, as `to_value` makes it: `Pairs` are in key order, each key once.
fn pairs(p: &Pairs) -> Value {
    let entries = p.0.iter().map(|(k, v)| (Value::from(&**k), Value::from(v.as_str()))).collect();
    Value::from_object(Map { entries, sorted: true })
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;

    use super::*;
    use crate::backend::{alike, Backend, EngineOptions};

    /// Whatever a template does with a task (attributes, iteration, `items`, JSON), the view
    /// reads as the task converted up front.
    #[test]
    fn a_task_reads_as_converted() {
        let env = Environment::new();
        let template = "{{ t|tojson }}|{% for k in t %}{{ k }}={{ t[k] }};{% endfor %}|{{ t.labels|items|list }}{{ t.upstream|length }}{{ t.pod is none }}{{ t.more is none }}";
        let mut tasks = 0;
        for (name, p) in alike::tests::pipelines() {
            let ctx = super::super::Airflow::lower(&p, &EngineOptions::default(), &mut Vec::new()).unwrap();
            let view = Arc::new(Tasks(Arc::clone(&ctx.tasks)));
            for (i, task) in ctx.tasks.iter().enumerate() {
                let render = |t: Value| env.render_str(template, minijinja::context! { t }).unwrap();
                let viewed = render(view.get_value(&Value::from(i)).unwrap());
                assert_eq!(viewed, render(to_value(task)), "{name} {i}");
                tasks += 1;
            }
            assert!(view.get_value(&Value::from(ctx.tasks.len())).is_none());
        }
        assert!(tasks > 20, "{tasks}");
    }
}
