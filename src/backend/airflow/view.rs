//! The DAG's tasks as the template reads them: a task's fields become template values when the
//! template reads them, not all converted before rendering. For 5,000 tasks that conversion, and
//! freeing what it built, cost more than the lowering.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::TaskContext;
use crate::backend::template_value::to_value;

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

const FIELDS: &[&str] =
    &["task_id", "name", "image", "cmds", "arguments", "env", "pod", "labels", "annotations", "more", "upstream"];

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
            "image" => to_value(&t.image),
            "cmds" => to_value(&t.cmds),
            "arguments" => to_value(&t.arguments),
            "env" => to_value(&t.env),
            "pod" => to_value(&t.pod),
            "labels" => to_value(&t.labels),
            "annotations" => to_value(&t.annotations),
            "more" => to_value(&t.more),
            "upstream" => to_value(&t.upstream),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(FIELDS)
    }
}
