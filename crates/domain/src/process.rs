//! Process definitions: versioned graphs, written in TOML, validated before any case runs them.
//!
//! ```toml
//! code = "licence-standard"
//! version = 1
//! name = "标准许可流程"
//! start = "review"
//!
//! [[node]]
//! id = "review"
//! type = "task"            # task | auto | parallel | join | choice | countersign | end
//! name = "审查"
//! department = "@item"     # the item's implementing department, or a department code
//! limit = "3wd"
//! actions = ["approve", "return", "refuse"]
//! next = "approved"
//! ```
//! The model stays close to BPMN: tasks, gateways (parallel split/join, exclusive choice) and end events.

use std::collections::{BTreeMap, BTreeSet};

use onego_calendar::Limit;
use serde::{Deserialize, Serialize};

use crate::rule::Rule;
use crate::values::Code;

/// A department reference in a definition: a code, or `@item` for the item's implementing department.
pub const ITEM_DEPARTMENT: &str = "@item";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    Approve,
    /// Send back to an earlier task of the same branch.
    Return,
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Refused,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Task {
        department: String,
        role: Option<String>,
        limit: Limit,
        actions: Vec<TaskAction>,
        next: String,
        return_to: Vec<String>,
    },
    /// A rule decides without a human (秒批): `then` when it holds, `otherwise` when it does not.
    Auto {
        rule: Rule,
        rule_text: String,
        then: String,
        otherwise: String,
    },
    Parallel {
        branches: Vec<String>,
    },
    Join {
        next: String,
    },
    Choice {
        when: Vec<(Rule, String, String)>,
        otherwise: String,
    },
    /// Several departments review at once; all must approve, one refusal refuses.
    Countersign {
        departments: Vec<String>,
        limit: Limit,
        next: String,
    },
    End {
        outcome: Outcome,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: NodeKind,
}

impl Node {
    /// Where the node leads, without returns.
    pub fn successors(&self) -> Vec<&str> {
        match &self.kind {
            NodeKind::Task { next, .. } | NodeKind::Join { next } | NodeKind::Countersign { next, .. } => {
                vec![next]
            }
            NodeKind::Auto { then, otherwise, .. } => vec![then, otherwise],
            NodeKind::Parallel { branches } => branches.iter().map(String::as_str).collect(),
            NodeKind::Choice { when, otherwise } => when
                .iter()
                .map(|w| w.2.as_str())
                .chain(std::iter::once(otherwise.as_str()))
                .collect(),
            NodeKind::End { .. } => vec![],
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Task { .. } => "task",
            NodeKind::Auto { .. } => "auto",
            NodeKind::Parallel { .. } => "parallel",
            NodeKind::Join { .. } => "join",
            NodeKind::Choice { .. } => "choice",
            NodeKind::Countersign { .. } => "countersign",
            NodeKind::End { .. } => "end",
        }
    }
}

/// A validated process definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessDefinition {
    pub code: Code,
    pub version: u32,
    pub name: String,
    pub start: String,
    pub nodes: Vec<Node>,
    /// For each join: the split it closes and how many branches arrive.
    pub joins: BTreeMap<String, (String, usize)>,
    /// The TOML it was read from, kept so the definition can be shown and exported as written.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("the process file is not valid TOML: {0}")]
    Syntax(String),
    #[error("node \"{node}\": {message}")]
    Node { node: String, message: String },
    #[error("{0}")]
    Process(String),
}

fn node_err(node: &str, message: impl Into<String>) -> DefinitionError {
    DefinitionError::Node {
        node: node.to_owned(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    code: String,
    version: u32,
    name: String,
    start: String,
    #[serde(default)]
    node: Vec<FileNode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNode {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    department: Option<String>,
    departments: Option<Vec<String>>,
    role: Option<String>,
    limit: Option<String>,
    actions: Option<Vec<TaskAction>>,
    next: Option<String>,
    return_to: Option<Vec<String>>,
    rule: Option<String>,
    then: Option<String>,
    otherwise: Option<String>,
    branches: Option<Vec<String>>,
    when: Option<Vec<FileWhen>>,
    outcome: Option<Outcome>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWhen {
    rule: String,
    next: String,
}

impl ProcessDefinition {
    /// Reads and validates a definition. Every error names the node and says what to change.
    pub fn from_toml(text: &str) -> Result<Self, DefinitionError> {
        let file: FileDef = toml::from_str(text)
            .map_err(|e| DefinitionError::Syntax(e.to_string().trim().replace('\n', " ")))?;
        let code = Code::parse(&file.code).map_err(|e| DefinitionError::Process(e.to_string()))?;
        if file.version == 0 {
            return Err(DefinitionError::Process("version must be 1 or more".into()));
        }
        let mut nodes = Vec::with_capacity(file.node.len());
        for n in file.node {
            nodes.push(parse_node(n)?);
        }
        let mut def = ProcessDefinition {
            code,
            version: file.version,
            name: file.name,
            start: file.start,
            nodes,
            joins: BTreeMap::new(),
            source: text.to_owned(),
        };
        def.joins = def.validate()?;
        Ok(def)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn validate(&self) -> Result<BTreeMap<String, (String, usize)>, DefinitionError> {
        if self.nodes.is_empty() {
            return Err(DefinitionError::Process(
                "the process has no nodes; add [[node]] entries".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        for n in &self.nodes {
            if !ids.insert(n.id.as_str()) {
                return Err(node_err(
                    &n.id,
                    "two nodes have this id; give each node its own id",
                ));
            }
        }
        if self.node(&self.start).is_none() {
            return Err(DefinitionError::Process(format!(
                "start \"{}\" is not a node of the process",
                self.start
            )));
        }
        for n in &self.nodes {
            for s in n.successors() {
                if self.node(s).is_none() {
                    return Err(node_err(
                        &n.id,
                        format!("leads to \"{s}\", which is not a node of the process"),
                    ));
                }
            }
            if let NodeKind::Task {
                return_to, actions, ..
            } = &n.kind
            {
                for r in return_to {
                    match self.node(r) {
                        Some(Node {
                            kind: NodeKind::Task { .. },
                            ..
                        }) => {}
                        Some(_) => {
                            return Err(node_err(
                                &n.id,
                                format!("can return only to a task; \"{r}\" is not one"),
                            ));
                        }
                        None => {
                            return Err(node_err(
                                &n.id,
                                format!("returns to \"{r}\", which is not a node"),
                            ));
                        }
                    }
                }
                if actions.contains(&TaskAction::Return) && return_to.is_empty() {
                    return Err(node_err(&n.id, "allows return but names no return_to task"));
                }
            }
        }
        // The graph without returns must be acyclic: otherwise a case could loop for ever.
        let order = self.topological_order()?;
        // Reachability.
        let mut reached = BTreeSet::new();
        let mut stack = vec![self.start.as_str()];
        while let Some(id) = stack.pop() {
            if reached.insert(id)
                && let Some(n) = self.node(id)
            {
                stack.extend(n.successors());
            }
        }
        for n in &self.nodes {
            if !reached.contains(n.id.as_str()) {
                return Err(node_err(
                    &n.id,
                    "is unreachable from the start; connect it or remove it",
                ));
            }
        }
        if let Some(Node {
            kind: NodeKind::Join { .. },
            id,
            ..
        }) = self.node(&self.start)
        {
            return Err(node_err(id, "is a join without a parallel split before it"));
        }
        // Structure: each node's stack of enclosing parallel splits must be the same on every path.
        let mut context: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        context.insert(self.start.as_str(), Vec::new());
        let mut joins: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for id in order {
            let Some(ctx) = context.get(id).cloned() else {
                continue;
            };
            let node = self.node(id).ok_or_else(|| node_err(id, "missing"))?;
            let mut out_ctx = ctx.clone();
            match &node.kind {
                NodeKind::Parallel { .. } => out_ctx.push(id),
                NodeKind::Join { .. } => {}
                NodeKind::End { .. } if !ctx.is_empty() => {
                    return Err(node_err(
                        id,
                        format!(
                            "ends a branch of parallel split \"{}\" before its join; join the branches first",
                            ctx[ctx.len() - 1]
                        ),
                    ));
                }
                _ => {}
            }
            for s in node.successors() {
                let succ = self.node(s).ok_or_else(|| node_err(s, "missing"))?;
                let mut arriving = out_ctx.clone();
                if let NodeKind::Join { .. } = succ.kind {
                    let Some(split) = arriving.pop() else {
                        return Err(node_err(s, "is a join without a parallel split before it"));
                    };
                    let entry = joins.entry(s.to_owned()).or_insert((split.to_owned(), 0));
                    if entry.0 != split {
                        return Err(node_err(
                            s,
                            format!(
                                "joins branches of two different splits (\"{}\" and \"{split}\")",
                                entry.0
                            ),
                        ));
                    }
                }
                match context.get(s) {
                    None => {
                        context.insert(s, arriving);
                    }
                    Some(existing) if *existing != arriving => {
                        return Err(node_err(
                            s,
                            "is reached both inside and outside a parallel branch; every path into a node must cross the same splits",
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        // A join waits for as many tokens as its split has branches.
        for (join, (split, count)) in joins.iter_mut() {
            match self.node(split).map(|n| &n.kind) {
                Some(NodeKind::Parallel { branches }) => *count = branches.len(),
                _ => return Err(node_err(join, "has no parallel split")),
            }
        }
        for n in &self.nodes {
            if let NodeKind::Parallel { .. } = n.kind
                && !joins.values().any(|(s, _)| s == &n.id)
            {
                return Err(node_err(&n.id, "is a parallel split whose branches never join"));
            }
            if let NodeKind::Task { return_to, .. } = &n.kind {
                for r in return_to {
                    if context.get(r.as_str()) != context.get(n.id.as_str()) {
                        return Err(node_err(
                            &n.id,
                            format!("cannot return to \"{r}\" across a parallel split or join"),
                        ));
                    }
                    if !self.reaches(r, &n.id) {
                        return Err(node_err(
                            &n.id,
                            format!("can return only to an earlier task; \"{r}\" does not come before it"),
                        ));
                    }
                }
            }
        }
        Ok(joins)
    }

    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(id) = stack.pop() {
            if id == to {
                return true;
            }
            if seen.insert(id)
                && let Some(n) = self.node(id)
            {
                stack.extend(n.successors());
            }
        }
        false
    }

    fn topological_order(&self) -> Result<Vec<&str>, DefinitionError> {
        let mut indegree: BTreeMap<&str, usize> = self.nodes.iter().map(|n| (n.id.as_str(), 0)).collect();
        for n in &self.nodes {
            for s in n.successors() {
                *indegree.entry(s).or_default() += 1;
            }
        }
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(k, _)| *k)
            .collect();
        let mut order = Vec::with_capacity(self.nodes.len());
        while let Some(id) = ready.pop() {
            order.push(id);
            if let Some(n) = self.node(id) {
                for s in n.successors() {
                    if let Some(d) = indegree.get_mut(s) {
                        *d -= 1;
                        if *d == 0 {
                            ready.push(s);
                        }
                    }
                }
            }
        }
        if order.len() < self.nodes.len() {
            let stuck = indegree
                .iter()
                .find(|(_, d)| **d > 0)
                .map(|(k, _)| *k)
                .unwrap_or("?");
            return Err(node_err(
                stuck,
                "is part of a loop; use a task's return_to to send work back instead",
            ));
        }
        Ok(order)
    }

    /// The task and countersign nodes, in file order.
    pub fn human_nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Task { .. } | NodeKind::Countersign { .. }))
    }
}

fn parse_node(n: FileNode) -> Result<Node, DefinitionError> {
    let id = n.id.trim().to_owned();
    if id.is_empty() {
        return Err(DefinitionError::Process("a node has an empty id".into()));
    }
    let need = |v: Option<String>, field: &str| {
        v.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| node_err(&id, format!("a {} node needs {field}", n.kind)))
    };
    let limit = |v: Option<String>| -> Result<Limit, DefinitionError> {
        let text = v.ok_or_else(|| node_err(&id, "needs a limit, for example limit = \"3wd\""))?;
        text.parse::<Limit>().map_err(|e| node_err(&id, e.to_string()))
    };
    let rule = |text: &str| Rule::parse(text).map_err(|e| node_err(&id, e.to_string()));
    let kind = match n.kind.as_str() {
        "task" => {
            let department = n.department.filter(|d| !d.trim().is_empty()).ok_or_else(|| {
                node_err(
                    &id,
                    "is a task without a department; set department = \"@item\" or a department code",
                )
            })?;
            check_department(&id, &department)?;
            let actions = n
                .actions
                .unwrap_or_else(|| vec![TaskAction::Approve, TaskAction::Refuse]);
            if !actions.contains(&TaskAction::Approve) {
                return Err(node_err(&id, "a task must allow approve"));
            }
            NodeKind::Task {
                department,
                role: n.role.filter(|r| !r.trim().is_empty()),
                limit: limit(n.limit)?,
                actions,
                next: need(n.next, "next")?,
                return_to: n.return_to.unwrap_or_default(),
            }
        }
        "auto" => {
            let text = need(n.rule, "a rule")?;
            NodeKind::Auto {
                rule: rule(&text)?,
                rule_text: text,
                then: need(n.then, "then")?,
                otherwise: need(n.otherwise, "otherwise")?,
            }
        }
        "parallel" => {
            let branches = n.branches.unwrap_or_default();
            if branches.len() < 2 {
                return Err(node_err(&id, "a parallel split needs at least two branches"));
            }
            NodeKind::Parallel { branches }
        }
        "join" => NodeKind::Join {
            next: need(n.next, "next")?,
        },
        "choice" => {
            let when = n.when.unwrap_or_default();
            if when.is_empty() {
                return Err(node_err(
                    &id,
                    "a choice needs at least one [[node.when]] with a rule and next",
                ));
            }
            let mut parsed = Vec::with_capacity(when.len());
            for w in when {
                parsed.push((rule(&w.rule)?, w.rule, w.next));
            }
            NodeKind::Choice {
                when: parsed,
                otherwise: need(n.otherwise, "otherwise (where to go when no rule holds)")?,
            }
        }
        "countersign" => {
            let departments = n.departments.unwrap_or_default();
            if departments.len() < 2 {
                return Err(node_err(&id, "a countersign needs at least two departments"));
            }
            for d in &departments {
                check_department(&id, d)?;
            }
            NodeKind::Countersign {
                departments,
                limit: limit(n.limit)?,
                next: need(n.next, "next")?,
            }
        }
        "end" => NodeKind::End {
            outcome: n
                .outcome
                .ok_or_else(|| node_err(&id, "an end needs outcome = \"approved\" or \"refused\""))?,
        },
        other => {
            return Err(node_err(
                &id,
                format!(
                    "unknown type \"{other}\"; use task, auto, parallel, join, choice, countersign or end"
                ),
            ));
        }
    };
    Ok(Node {
        name: n.name.unwrap_or_else(|| id.clone()),
        id,
        kind,
    })
}

fn check_department(node: &str, d: &str) -> Result<(), DefinitionError> {
    if d == ITEM_DEPARTMENT || Code::parse(d).is_ok() {
        Ok(())
    } else {
        Err(node_err(
            node,
            format!("department \"{d}\" is neither @item nor a department code"),
        ))
    }
}
