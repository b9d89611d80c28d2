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

use crate::messages::Msg;
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

/// What is wrong with a process file, in both languages, saying where and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The text is not TOML of the expected shape (line and column where it went wrong).
    #[error("{0}")]
    Syntax(Msg),
    #[error("node \"{node}\": {message}")]
    Node { node: String, message: Msg },
    #[error("{0}")]
    Process(Msg),
}

impl DefinitionError {
    /// The message for the administrator, naming the node when there is one.
    pub fn msg(&self) -> Msg {
        match self {
            DefinitionError::Syntax(m) | DefinitionError::Process(m) => m.clone(),
            DefinitionError::Node { node, message } => message
                .clone()
                .prefixed(&format!("节点“{node}”："), &format!("node \"{node}\": ")),
        }
    }
}

fn node_err(node: &str, zh: impl Into<String>, en: impl Into<String>) -> DefinitionError {
    DefinitionError::Node {
        node: node.to_owned(),
        message: Msg::new("process_node", zh, en),
    }
}

fn process_err(zh: impl Into<String>, en: impl Into<String>) -> DefinitionError {
    DefinitionError::Process(Msg::new("process_invalid", zh, en))
}

/// A TOML error as an administrator can act on it: where (line, column) and what, in both languages.
fn syntax_err(text: &str, e: &toml::de::Error) -> DefinitionError {
    let (line, col) = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, col)
        }
        None => (0, 0),
    };
    let detail = e.message().trim().replace('\n', " ");
    let quoted = |d: &str| d.split('`').nth(1).unwrap_or("").to_owned();
    let zh_what = if detail.starts_with("missing field") {
        format!("缺少必填项 {}", quoted(&detail))
    } else if detail.starts_with("unknown field") {
        format!("有不认识的项 {}（请检查拼写）", quoted(&detail))
    } else if detail.starts_with("invalid type") {
        "值的类型不对（文字要加英文双引号，数字不加，列表用方括号）".to_owned()
    } else if detail.starts_with("unknown variant") {
        format!("取值 {} 不在可选范围内", quoted(&detail))
    } else if detail.contains("duplicate key") {
        "同一项写了两次".to_owned()
    } else {
        "写法不符合 TOML 格式（请检查等号、英文引号和方括号是否成对）".to_owned()
    };
    let (zh, en) = if line > 0 {
        (
            format!("流程文件第 {line} 行第 {col} 列：{zh_what}。"),
            format!("the process file is not valid at line {line}, column {col}: {detail}"),
        )
    } else {
        (
            format!("流程文件：{zh_what}。"),
            format!("the process file is not valid: {detail}"),
        )
    };
    DefinitionError::Syntax(Msg::new("process_syntax", zh, en))
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
        let file: FileDef = toml::from_str(text).map_err(|e| syntax_err(text, &e))?;
        let code = Code::parse(&file.code)
            .map_err(|e| DefinitionError::Process(e.msg().prefixed("流程编码 code：", "code: ")))?;
        if file.version == 0 {
            return Err(process_err(
                "版本号 version 应为1或更大的整数",
                "version must be 1 or more",
            ));
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
            return Err(process_err(
                "流程没有任何节点，请添加 [[node]] 节点",
                "the process has no nodes; add [[node]] entries",
            ));
        }
        let mut ids = BTreeSet::new();
        for n in &self.nodes {
            if !ids.insert(n.id.as_str()) {
                return Err(node_err(
                    &n.id,
                    "有两个节点使用了这个编号，请为每个节点取不同的 id",
                    "two nodes have this id; give each node its own id",
                ));
            }
        }
        if self.node(&self.start).is_none() {
            return Err(process_err(
                format!("起始节点 start = “{}” 不是本流程的节点", self.start),
                format!("start \"{}\" is not a node of the process", self.start),
            ));
        }
        for n in &self.nodes {
            for s in n.successors() {
                if self.node(s).is_none() {
                    return Err(node_err(
                        &n.id,
                        format!("指向的“{s}”不是本流程的节点"),
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
                                format!("只能退回到审查环节，“{r}”不是审查环节"),
                                format!("can return only to a task; \"{r}\" is not one"),
                            ));
                        }
                        None => {
                            return Err(node_err(
                                &n.id,
                                format!("退回到的“{r}”不是本流程的节点"),
                                format!("returns to \"{r}\", which is not a node"),
                            ));
                        }
                    }
                }
                if actions.contains(&TaskAction::Return) && return_to.is_empty() {
                    return Err(node_err(
                        &n.id,
                        "允许退回，但没有用 return_to 指定退回到哪个环节",
                        "allows return but names no return_to task",
                    ));
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
                    "从起始节点无法到达，请连上它或删除它",
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
            return Err(node_err(
                id,
                "是汇合节点，但前面没有并行分支",
                "is a join without a parallel split before it",
            ));
        }
        // Structure: each node's stack of enclosing parallel splits must be the same on every path.
        let mut context: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        context.insert(self.start.as_str(), Vec::new());
        let mut joins: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for id in order {
            let Some(ctx) = context.get(id).cloned() else {
                continue;
            };
            let node = self.node(id).ok_or_else(|| node_err(id, "不存在", "missing"))?;
            let mut out_ctx = ctx.clone();
            match &node.kind {
                NodeKind::Parallel { .. } => out_ctx.push(id),
                NodeKind::Join { .. } => {}
                NodeKind::End { .. } if !ctx.is_empty() => {
                    return Err(node_err(
                        id,
                        format!(
                            "在并行分支“{}”汇合之前就结束了流程，请先汇合各分支",
                            ctx[ctx.len() - 1]
                        ),
                        format!(
                            "ends a branch of parallel split \"{}\" before its join; join the branches first",
                            ctx[ctx.len() - 1]
                        ),
                    ));
                }
                _ => {}
            }
            for s in node.successors() {
                let succ = self.node(s).ok_or_else(|| node_err(s, "不存在", "missing"))?;
                let mut arriving = out_ctx.clone();
                if let NodeKind::Join { .. } = succ.kind {
                    let Some(split) = arriving.pop() else {
                        return Err(node_err(
                            s,
                            "是汇合节点，但前面没有并行分支",
                            "is a join without a parallel split before it",
                        ));
                    };
                    let entry = joins.entry(s.to_owned()).or_insert((split.to_owned(), 0));
                    if entry.0 != split {
                        return Err(node_err(
                            s,
                            format!("汇合了两个不同并行分支（“{}”和“{split}”）的支路", entry.0),
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
                            "既能从并行分支内部到达，也能从外部到达；进入同一节点的每条路径须经过相同的并行分支",
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
                _ => return Err(node_err(join, "没有对应的并行分支", "has no parallel split")),
            }
        }
        for n in &self.nodes {
            if let NodeKind::Parallel { .. } = n.kind
                && !joins.values().any(|(s, _)| s == &n.id)
            {
                return Err(node_err(
                    &n.id,
                    "是并行分支，但各支路没有汇合",
                    "is a parallel split whose branches never join",
                ));
            }
            if let NodeKind::Task { return_to, .. } = &n.kind {
                for r in return_to {
                    if context.get(r.as_str()) != context.get(n.id.as_str()) {
                        return Err(node_err(
                            &n.id,
                            format!("不能跨越并行分支或汇合退回到“{r}”"),
                            format!("cannot return to \"{r}\" across a parallel split or join"),
                        ));
                    }
                    if !self.reaches(r, &n.id) {
                        return Err(node_err(
                            &n.id,
                            format!("只能退回到之前的环节，“{r}”不在它之前"),
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
                "处在一个循环中；要把办件退回，请改用审查环节的 return_to",
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
        return Err(process_err(
            "有节点的 id 为空，请为每个节点填写 id",
            "a node has an empty id",
        ));
    }
    let need = |v: Option<String>, field: &str| {
        v.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            node_err(
                &id,
                format!("缺少 {field}"),
                format!("a {} node needs {field}", n.kind),
            )
        })
    };
    let limit = |v: Option<String>| -> Result<Limit, DefinitionError> {
        let text = v.ok_or_else(|| {
            node_err(
                &id,
                "缺少办理时限，例如 limit = \"3wd\"（3个工作日）",
                "needs a limit, for example limit = \"3wd\"",
            )
        })?;
        text.parse::<Limit>().map_err(|e| {
            node_err(
                &id,
                format!("时限“{text}”写法有误，应为数字加单位：wd 工作日、d 自然日、h 小时，例如 \"3wd\""),
                e.to_string(),
            )
        })
    };
    let rule = |text: &str| {
        Rule::parse(text).map_err(|e| {
            node_err(
                &id,
                format!("条件规则“{text}”无法识别，请按“字段 比较符 值”书写，例如 registered_capital >= 100"),
                e.to_string(),
            )
        })
    };
    let kind = match n.kind.as_str() {
        "task" => {
            let department = n.department.filter(|d| !d.trim().is_empty()).ok_or_else(|| {
                node_err(
                    &id,
                    "审查环节没有指定部门，请设置 department = \"@item\"（事项所属部门）或部门编码",
                    "is a task without a department; set department = \"@item\" or a department code",
                )
            })?;
            check_department(&id, &department)?;
            let actions = n
                .actions
                .unwrap_or_else(|| vec![TaskAction::Approve, TaskAction::Refuse]);
            if !actions.contains(&TaskAction::Approve) {
                return Err(node_err(
                    &id,
                    "审查环节必须允许“通过”（approve）",
                    "a task must allow approve",
                ));
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
            let text = need(n.rule, "rule")?;
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
                return Err(node_err(
                    &id,
                    "并行分支至少需要两条支路",
                    "a parallel split needs at least two branches",
                ));
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
                    "条件分支至少需要一个带 rule 和 next 的 [[node.when]]",
                    "a choice needs at least one [[node.when]] with a rule and next",
                ));
            }
            let mut parsed = Vec::with_capacity(when.len());
            for w in when {
                parsed.push((rule(&w.rule)?, w.rule, w.next));
            }
            NodeKind::Choice {
                when: parsed,
                otherwise: need(n.otherwise, "otherwise")?,
            }
        }
        "countersign" => {
            let departments = n.departments.unwrap_or_default();
            if departments.len() < 2 {
                return Err(node_err(
                    &id,
                    "会签至少需要两个部门",
                    "a countersign needs at least two departments",
                ));
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
            outcome: n.outcome.ok_or_else(|| {
                node_err(
                    &id,
                    "结束节点须写明结果 outcome = \"approved\"（准予）或 \"refused\"（不予）",
                    "an end needs outcome = \"approved\" or \"refused\"",
                )
            })?,
        },
        other => {
            return Err(node_err(
                &id,
                format!(
                    "节点类型“{other}”不存在，可用：task（审查）、auto（自动判断）、parallel（并行）、join（汇合）、choice（条件分支）、countersign（会签）、end（结束）"
                ),
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
            format!("部门“{d}”既不是 @item 也不是部门编码"),
            format!("department \"{d}\" is neither @item nor a department code"),
        ))
    }
}
