//! The process engine inside a decision: tokens entering tasks, automatic steps (秒批), choices,
//! parallel splits and joins, countersigns, and the ends of a flow.

use super::decide::Run;
use super::*;

impl<'a> Run<'_, 'a> {
    /// Borrowed from the registry, not from the run, so the run can change while it is held.
    pub(super) fn definition(&self, flow: usize) -> Result<&'a ProcessDefinition, CaseError> {
        let f = &self.case.flows[flow];
        self.ctx
            .registry
            .process(&f.process, f.process_version)
            .ok_or_else(|| {
                CaseError::Configuration(format!("process {} version {}", f.process, f.process_version))
            })
    }

    pub(super) fn resolve_department(&self, flow: usize, dept: &str) -> Result<Code, CaseError> {
        if dept == ITEM_DEPARTMENT {
            Ok(self.case.flows[flow].department.clone())
        } else {
            Code::parse(dept).map_err(|e| CaseError::Configuration(e.to_string()))
        }
    }

    pub(super) fn next_task_id(&self) -> TaskId {
        self.case.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1
    }

    /// A token enters `node` of `flow`.
    pub(super) fn enter(&mut self, flow: usize, node: &str, depth: usize) -> Result<(), CaseError> {
        // Definitions are acyclic, so depth is bounded by their size; this guards a corrupted one.
        if depth > 1_000 {
            return Err(CaseError::Configuration("the process runs in a loop".into()));
        }
        let def = self.definition(flow)?;
        let n = def
            .node(node)
            .ok_or_else(|| CaseError::Configuration(format!("node {node} is missing")))?;
        match &n.kind {
            NodeKind::Task {
                department,
                role,
                limit,
                ..
            } => {
                let task = Task {
                    id: self.next_task_id(),
                    flow,
                    node: n.id.clone(),
                    name: n.name.clone(),
                    department: self.resolve_department(flow, department)?,
                    role: role.clone(),
                    limit: *limit,
                    opened_at: self.ctx.now,
                    group: None,
                    state: TaskState::Open,
                    warned: false,
                    overdue: false,
                };
                self.emit(Event::TaskOpened { task });
            }
            NodeKind::Countersign {
                departments, limit, ..
            } => {
                let group = self.next_task_id();
                for (i, d) in departments.iter().enumerate() {
                    let task = Task {
                        id: group + i as TaskId,
                        flow,
                        node: n.id.clone(),
                        name: n.name.clone(),
                        department: self.resolve_department(flow, d)?,
                        role: None,
                        limit: *limit,
                        opened_at: self.ctx.now,
                        group: Some(group),
                        state: TaskState::Open,
                        warned: false,
                        overdue: false,
                    };
                    self.emit(Event::TaskOpened { task });
                }
            }
            NodeKind::Auto {
                rule,
                rule_text,
                then,
                otherwise,
            } => {
                let passed = rule.eval(&self.case.form);
                let read = rule
                    .fields()
                    .into_iter()
                    .map(|f| {
                        let v = self.case.form.get(f).cloned().unwrap_or(serde_json::Value::Null);
                        (f.to_owned(), v)
                    })
                    .collect();
                self.emit(Event::AutoDecided {
                    flow,
                    node: n.id.clone(),
                    rule: rule_text.clone(),
                    passed,
                    read,
                });
                self.enter(flow, if passed { then } else { otherwise }, depth + 1)?;
            }
            NodeKind::Choice { when, otherwise } => {
                let next = when
                    .iter()
                    .find(|(rule, _, _)| rule.eval(&self.case.form))
                    .map(|(_, _, next)| next.clone())
                    .unwrap_or_else(|| otherwise.clone());
                self.emit(Event::ChoiceTaken {
                    flow,
                    node: n.id.clone(),
                    next: next.clone(),
                });
                self.enter(flow, &next, depth + 1)?;
            }
            NodeKind::Parallel { branches } => {
                for b in branches {
                    self.enter(flow, b, depth + 1)?;
                }
            }
            NodeKind::Join { next } => {
                self.emit(Event::BranchArrived {
                    flow,
                    join: n.id.clone(),
                });
                let expected = def.joins.get(&n.id).map(|j| j.1).unwrap_or(1) as u32;
                let arrived = self.case.flows[flow]
                    .join_arrivals
                    .get(&n.id)
                    .copied()
                    .unwrap_or(0);
                if arrived >= expected {
                    self.emit(Event::BranchesJoined {
                        flow,
                        join: n.id.clone(),
                    });
                    self.enter(flow, next, depth + 1)?;
                }
            }
            NodeKind::End { outcome } => self.end_flow(flow, *outcome, ""),
        }
        Ok(())
    }

    pub(super) fn end_flow(&mut self, flow: usize, outcome: Outcome, reason: &str) {
        let open: Vec<TaskId> = self
            .case
            .open_tasks()
            .filter(|t| t.flow == flow)
            .map(|t| t.id)
            .collect();
        for task in open {
            self.emit(Event::TaskCancelled { task });
        }
        self.emit(Event::FlowEnded { flow, outcome });
        if self.case.flows.iter().all(|f| f.outcome.is_some()) {
            let approved = self
                .case
                .flows
                .iter()
                .filter(|f| f.outcome == Some(Outcome::Approved))
                .count();
            let outcome = match approved {
                n if n == self.case.flows.len() => CaseOutcome::Approved,
                0 => CaseOutcome::Refused,
                _ => CaseOutcome::Partial,
            };
            let reason = if reason.is_empty() {
                match outcome {
                    CaseOutcome::Approved => "准予许可".to_owned(),
                    CaseOutcome::Refused => "不予许可".to_owned(),
                    CaseOutcome::Partial => {
                        let refused: Vec<&str> = self
                            .case
                            .flows
                            .iter()
                            .filter(|f| f.outcome == Some(Outcome::Refused))
                            .map(|f| f.item_name.as_str())
                            .collect();
                        format!("部分准予；未准予：{}", refused.join("、"))
                    }
                }
            } else {
                reason.to_owned()
            };
            self.emit(Event::Decided { outcome, reason });
        }
    }

    pub(super) fn act(
        &mut self,
        task_id: TaskId,
        action: TaskAction,
        return_to: Option<&str>,
        opinion: &str,
    ) -> Result<(), CaseError> {
        let task = self.case.task(task_id).cloned().ok_or_else(|| {
            CaseError::NotFound(Msg::new(
                "no_such_task",
                format!(
                    "办件 {} 没有第 {task_id} 号环节，请刷新页面后重试",
                    self.case.number
                ),
                format!(
                    "case {} has no task {task_id}; reload the page and try again",
                    self.case.number
                ),
            ))
        })?;
        if !task.is_open() {
            return now_illegal(Msg::new(
                "task_closed",
                format!(
                    "第 {task_id} 号环节（{}）已办理完毕，请刷新页面查看最新进度",
                    task.name
                ),
                format!("task {task_id} ({}) is already closed", task.name),
            ));
        }
        let def = self.definition(task.flow)?;
        let node = def
            .node(&task.node)
            .ok_or_else(|| CaseError::Configuration(format!("node {}", task.node)))?;
        let opinion = opinion.trim().to_owned();
        match (&node.kind, action) {
            (
                NodeKind::Task {
                    actions,
                    next,
                    return_to: allowed,
                    ..
                },
                _,
            ) => {
                if !actions.contains(&action) {
                    let action_zh = match action {
                        TaskAction::Approve => "同意",
                        TaskAction::Return => "退回",
                        TaskAction::Refuse => "不予许可",
                    };
                    return now_illegal(Msg::new(
                        "task_action_not_allowed",
                        format!(
                            "环节“{}”不允许“{action_zh}”操作，请选择该环节允许的操作",
                            task.name
                        ),
                        format!("task \"{}\" does not allow {:?}", task.name, action).to_lowercase(),
                    ));
                }
                match action {
                    TaskAction::Approve => {
                        self.emit(Event::TaskCompleted {
                            task: task_id,
                            action,
                            return_to: None,
                            opinion,
                        });
                        self.enter(task.flow, next, 0)?;
                    }
                    TaskAction::Return => {
                        let target = match return_to {
                            Some(t) => t.to_owned(),
                            None if allowed.len() == 1 => allowed[0].clone(),
                            None => {
                                return invalid(Msg::new(
                                    "return_target_needed",
                                    format!("请选择退回到哪个环节：{}", allowed.join("、")),
                                    format!("say which task to return to: {}", allowed.join(", ")),
                                ));
                            }
                        };
                        if !allowed.contains(&target) {
                            return invalid(Msg::new(
                                "return_target_not_allowed",
                                format!(
                                    "环节“{}”只能退回到：{}，请重新选择",
                                    task.name,
                                    allowed.join("、")
                                ),
                                format!(
                                    "task \"{}\" can return only to: {}",
                                    task.name,
                                    allowed.join(", ")
                                ),
                            ));
                        }
                        if opinion.is_empty() {
                            return invalid(Msg::new(
                                "return_needs_reason",
                                "请写明退回理由",
                                "give the reason for returning the work",
                            ));
                        }
                        self.emit(Event::TaskCompleted {
                            task: task_id,
                            action,
                            return_to: Some(target.clone()),
                            opinion,
                        });
                        self.enter(task.flow, &target, 0)?;
                    }
                    TaskAction::Refuse => {
                        if opinion.is_empty() {
                            return invalid(Msg::new(
                                "refusal_needs_reason",
                                "请写明不予许可理由，该理由将告知申请人",
                                "give the reason for refusing (不予许可理由); the applicant is told it",
                            ));
                        }
                        self.emit(Event::TaskCompleted {
                            task: task_id,
                            action,
                            return_to: None,
                            opinion: opinion.clone(),
                        });
                        self.end_flow(task.flow, Outcome::Refused, &opinion);
                    }
                }
            }
            (NodeKind::Countersign { next, .. }, TaskAction::Approve) => {
                self.emit(Event::TaskCompleted {
                    task: task_id,
                    action,
                    return_to: None,
                    opinion,
                });
                let group = task.group;
                let siblings_open = self
                    .case
                    .open_tasks()
                    .any(|t| t.group == group && t.flow == task.flow);
                if !siblings_open {
                    self.enter(task.flow, next, 0)?;
                }
            }
            (NodeKind::Countersign { .. }, TaskAction::Refuse) => {
                if opinion.is_empty() {
                    return invalid(Msg::new(
                        "refusal_needs_reason",
                        "请写明不予许可理由，该理由将告知申请人",
                        "give the reason for refusing (不予许可理由); the applicant is told it",
                    ));
                }
                self.emit(Event::TaskCompleted {
                    task: task_id,
                    action,
                    return_to: None,
                    opinion: opinion.clone(),
                });
                self.end_flow(task.flow, Outcome::Refused, &opinion);
            }
            (NodeKind::Countersign { .. }, TaskAction::Return) => {
                return now_illegal(Msg::new(
                    "countersign_cannot_return",
                    "会签环节只能同意或不予许可，不能退回",
                    "a countersign can approve or refuse, not return",
                ));
            }
            _ => {
                return Err(CaseError::Configuration(format!(
                    "node {} is not a human task",
                    task.node
                )));
            }
        }
        Ok(())
    }
}
