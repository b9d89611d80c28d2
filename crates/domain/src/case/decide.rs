//! Deciding: a new case from a submission ([`Case::open`]), and a command on a case ([`Case::decide`]).
//! `decide` works on a scratch copy ([`Run`]) and applies each event as it emits it, so every later
//! rule (and the process engine in `flow.rs`) sees the state the earlier events produced.

use super::*;

impl Case {
    /// Opens a new case: checks the submission against the catalog and returns its first entries. With
    /// `accept`, a window clerk accepts it in the same step (受理 at the counter).
    pub fn open(
        ctx: &Context<'_>,
        id: CaseId,
        number: CaseNumber,
        submission: Submission,
        accept: Option<Command>,
    ) -> Result<(Case, Vec<Entry>), CaseError> {
        let today = ctx.calendar.local_date(ctx.now);
        let (subject, title, department, handling, promised, legal, items) = match &submission.subject {
            SubjectRef::Item { code } => {
                let item = ctx.registry.item(code, today).ok_or_else(|| {
                    CaseError::NotFound(Msg::new(
                        "item_not_in_force",
                        format!("事项 {code} 今日不在办理期内，请查看事项目录"),
                        format!("no service item {code} is in force today"),
                    ))
                })?;
                (
                    Subject::Item {
                        code: item.impl_code.clone(),
                        version: item.version,
                    },
                    item.name.clone(),
                    item.department.clone(),
                    item.handling,
                    item.promised_limit,
                    item.legal_limit,
                    vec![item],
                )
            }
            SubjectRef::Bundle { code } => {
                let bundle = ctx.registry.bundle(code, today).ok_or_else(|| {
                    CaseError::NotFound(Msg::new(
                        "bundle_not_in_force",
                        format!("“一件事” {code} 今日不在办理期内，请查看事项目录"),
                        format!("no bundle {code} is in force today"),
                    ))
                })?;
                let mut items = Vec::new();
                for m in &bundle.members {
                    items.push(ctx.registry.item(m, today).ok_or_else(|| {
                        CaseError::Configuration(format!("member item {m} of bundle {code} is not in force"))
                    })?);
                }
                // A bundle is decided when its slowest member is: its legal limit is the longest member's.
                let legal = items
                    .iter()
                    .map(|i| i.legal_limit)
                    .max_by_key(|l| l.rough_natural_days())
                    .unwrap_or(bundle.promised_limit);
                (
                    Subject::Bundle {
                        code: bundle.code.clone(),
                        version: bundle.version,
                    },
                    bundle.name.clone(),
                    bundle.lead_department.clone(),
                    Handling::Promised,
                    bundle.promised_limit,
                    legal,
                    items,
                )
            }
        };
        if !submission.form.is_object() {
            return invalid(Msg::new(
                "form_not_object",
                "申请表内容格式不正确（须为各字段取值组成的 JSON 对象），请检查后重新提交",
                "the form must be a JSON object of field values",
            ));
        }
        let known: Vec<&Code> = items
            .iter()
            .flat_map(|i| i.materials.iter().map(|m| &m.code))
            .collect();
        for m in &submission.materials {
            if !known.contains(&&m.code) {
                return invalid(Msg::new(
                    "material_not_asked",
                    format!("材料 {} 不是本申请需要的材料", m.code),
                    format!("material {} is not one this application asks for", m.code),
                ));
            }
        }
        // Online, nobody receives the papers: every required material must come with the application
        // (容缺后补 materials may follow; a window clerk checks the papers at acceptance instead).
        if submission.channel == Channel::Online {
            let provided: Vec<&Code> = submission.materials.iter().map(|p| &p.code).collect();
            let missing: Vec<&str> =
                crate::catalog::missing_required(items.iter().flat_map(|i| &i.materials), &provided)
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect();
            if !missing.is_empty() {
                let (zh, en) = crate::messages::names(&missing);
                return invalid(
                    Msg::new(
                        "materials_missing_online",
                        format!("以下必要材料尚未上传：{zh}。请上传后再提交"),
                        format!(
                            "these required materials are not uploaded: {en}; upload them and submit again"
                        ),
                    )
                    .at("materials"),
                );
            }
        }
        let mut flows = Vec::with_capacity(items.len());
        for item in &items {
            let def = ctx.registry.latest_process(&item.process).ok_or_else(|| {
                CaseError::Configuration(format!(
                    "process {} of item {} is missing",
                    item.process, item.impl_code
                ))
            })?;
            flows.push(Flow {
                item: item.impl_code.clone(),
                item_version: item.version,
                item_name: item.name.clone(),
                department: item.department.clone(),
                process: def.code.clone(),
                process_version: def.version,
                join_arrivals: BTreeMap::new(),
                outcome: None,
            });
        }
        let materials: Vec<ProvidedMaterial> = submission
            .materials
            .into_iter()
            .map(|m| ProvidedMaterial { at: ctx.now, ..m })
            .collect();
        let submitted = Event::Submitted {
            subject,
            title,
            department,
            channel: submission.channel,
            applicant: submission.applicant,
            form: submission.form,
            materials,
            handling,
            promised_limit: promised,
            legal_limit: legal,
            flows,
            project: submission.project,
        };
        let entry = Entry {
            at: ctx.now,
            actor: ctx.actor.clone(),
            event: submitted,
        };
        let mut case = Case::from_submitted(id, number, &entry)
            .ok_or_else(|| CaseError::Configuration("a new case starts with its submission".into()))?;
        let mut entries = vec![entry];
        if let Some(cmd) = accept {
            let more = case.decide(ctx, &cmd)?;
            for e in &more {
                case.apply(e);
            }
            entries.extend(more);
        }
        Ok((case, entries))
    }

    /// The state a case starts in: everything its `Submitted` entry says.
    pub fn from_submitted(id: CaseId, number: CaseNumber, entry: &Entry) -> Option<Case> {
        let Event::Submitted {
            subject,
            title,
            department,
            channel,
            applicant,
            form,
            materials,
            handling,
            promised_limit,
            legal_limit,
            flows,
            project,
        } = &entry.event
        else {
            return None;
        };
        Some(Case {
            id,
            number,
            subject: subject.clone(),
            title: title.clone(),
            department: department.clone(),
            channel: *channel,
            applicant: applicant.clone(),
            form: form.clone(),
            materials: materials.clone(),
            deferred: Vec::new(),
            status: CaseStatus::Submitted,
            handling: *handling,
            promised_limit: *promised_limit,
            legal_limit: *legal_limit,
            submitted_at: entry.at,
            accepted_at: None,
            decided_at: None,
            delivered_at: None,
            outcome: None,
            decision_reason: None,
            flows: flows.clone(),
            tasks: Vec::new(),
            pauses: Vec::new(),
            extensions: Vec::new(),
            supplement: None,
            extension_request: None,
            special: None,
            delivery: None,
            rating: None,
            warned: false,
            overdue: false,
            collection_reminded: false,
            project: *project,
            meetings: vec![],
            inspections: vec![],
            version: 0,
        })
    }

    /// Decides a command: the entries to record, or why it cannot be done. Authorisation is checked
    /// before (see [`crate::policy`]); this checks what the state allows.
    pub fn decide(&self, ctx: &Context<'_>, cmd: &Command) -> Result<Vec<Entry>, CaseError> {
        let mut run = Run {
            case: self.clone(),
            entries: Vec::new(),
            ctx,
        };
        run.command(cmd)?;
        Ok(run.entries)
    }
}

/// A decision in progress: the scratch state and the entries so far.
pub(crate) struct Run<'c, 'a> {
    pub(super) case: Case,
    pub(super) entries: Vec<Entry>,
    pub(super) ctx: &'c Context<'a>,
}

impl<'a> Run<'_, 'a> {
    pub(super) fn emit(&mut self, event: Event) {
        let entry = Entry {
            at: self.ctx.now,
            actor: self.ctx.actor.clone(),
            event,
        };
        self.case.apply(&entry);
        self.entries.push(entry);
    }

    pub(super) fn command(&mut self, cmd: &Command) -> Result<(), CaseError> {
        let status = self.case.status;
        let finished = matches!(
            status,
            CaseStatus::NotAccepted | CaseStatus::Delivered | CaseStatus::Withdrawn
        );
        match cmd {
            Command::Accept {
                received,
                deferred,
                opinion,
            } => {
                if status != CaseStatus::Submitted {
                    return now_illegal(Msg::new(
                        "accept_not_submitted",
                        format!("只有待受理的办件才能受理；该办件{}", status.zh()),
                        format!(
                            "only a submitted case can be accepted; this one is {}",
                            status.zh()
                        ),
                    ));
                }
                self.accept(received, deferred, opinion)
            }
            Command::RefuseAcceptance { reason } => {
                if status != CaseStatus::Submitted {
                    return now_illegal(Msg::new(
                        "refuse_acceptance_not_submitted",
                        format!("只有待受理的办件才能不予受理；该办件{}", status.zh()),
                        format!(
                            "only a submitted case can be refused acceptance; this one is {}",
                            status.zh()
                        ),
                    ));
                }
                if reason.trim().is_empty() {
                    return invalid(Msg::new(
                        "not_accepted_needs_reason",
                        "请写明不予受理理由，该理由将告知申请人",
                        "give the reason for not accepting (不予受理理由); the applicant is told it",
                    ));
                }
                self.emit(Event::NotAccepted {
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::RequestSupplement { missing, note } => {
                if !matches!(status, CaseStatus::Submitted | CaseStatus::InReview) {
                    return now_illegal(Msg::new(
                        "supplement_too_late",
                        format!("作出决定前才能要求补正；该办件{}", status.zh()),
                        format!(
                            "a supplement can be asked only before a decision; this case is {}",
                            status.zh()
                        ),
                    ));
                }
                if self.case.supplement.is_some() {
                    return now_illegal(Msg::new(
                        "supplement_pending",
                        "已有一份补正通知尚未办结；补正须一次性告知所缺全部材料，不能再次发出补正通知",
                        "a supplement request is already pending; the notice must list everything at once (一次性告知)",
                    ));
                }
                if missing.is_empty() {
                    return invalid(Msg::new(
                        "supplement_lists_nothing",
                        "请在一次性告知书中列明所缺的全部材料",
                        "list every missing material in the one-time notice",
                    ));
                }
                let specs = self.case.material_specs(self.ctx.registry)?;
                let mut listed = Vec::with_capacity(missing.len());
                for m in missing {
                    let Some(spec) = specs.iter().find(|s| s.code == m.code) else {
                        return invalid(Msg::new(
                            "material_not_asked",
                            format!("材料 {} 不是本申请需要的材料", m.code),
                            format!("material {} is not one this application asks for", m.code),
                        ));
                    };
                    if listed.iter().any(|x: &MissingMaterial| x.code == m.code) {
                        return invalid(Msg::new(
                            "material_listed_twice",
                            format!("材料 {} 列了两次，请删去重复的一项", m.code),
                            format!("material {} is listed twice", m.code),
                        ));
                    }
                    listed.push(MissingMaterial {
                        code: m.code.clone(),
                        name: if m.name.trim().is_empty() {
                            spec.name.clone()
                        } else {
                            m.name.clone()
                        },
                        reason: m.reason.clone(),
                    });
                }
                self.emit(Event::SupplementRequested {
                    request: SupplementRequest {
                        missing: listed,
                        note: note.trim().to_owned(),
                        at: self.ctx.now,
                        before_acceptance: status == CaseStatus::Submitted,
                    },
                });
                Ok(())
            }
            Command::SupplyMaterials { materials, files } => {
                if finished || status == CaseStatus::Decided && self.case.deferred.is_empty() {
                    return now_illegal(Msg::new(
                        "no_materials_expected",
                        format!("该办件{}，无需再补交材料", status.zh()),
                        format!("no materials are expected for a case that is {}", status.zh()),
                    ));
                }
                if materials.is_empty() {
                    return invalid(Msg::new(
                        "supplied_materials_unnamed",
                        "请选择本次补交的材料",
                        "name the materials supplied",
                    ));
                }
                let specs = self.case.material_specs(self.ctx.registry)?;
                for code in materials {
                    if !specs.iter().any(|s| &s.code == code) {
                        return invalid(Msg::new(
                            "material_not_asked",
                            format!("材料 {code} 不是本申请需要的材料"),
                            format!("material {code} is not one this application asks for"),
                        ));
                    }
                }
                let supplied: Vec<ProvidedMaterial> = materials
                    .iter()
                    .map(|c| ProvidedMaterial {
                        code: c.clone(),
                        at: self.ctx.now,
                        file: files.get(c.as_str()).cloned(),
                        certificate: None,
                    })
                    .collect();
                // Materials may arrive in several goes; the clock resumes when the last one is in.
                let completes = self.case.supplement.as_ref().is_some_and(|req| {
                    req.missing.iter().all(|m| {
                        materials.contains(&m.code)
                            || self
                                .case
                                .materials
                                .iter()
                                .any(|x| x.code == m.code && x.at >= req.at)
                    })
                });
                self.emit(Event::MaterialsSupplied {
                    materials: supplied,
                    completes_supplement: completes,
                });
                Ok(())
            }
            Command::Act {
                task,
                action,
                return_to,
                opinion,
            } => {
                if status != CaseStatus::InReview {
                    return now_illegal(Msg::new(
                        "act_not_in_review",
                        format!("办件审查中才能办理环节；该办件{}", status.zh()),
                        format!(
                            "tasks can be acted on only while the case is in review; it is {}",
                            status.zh()
                        ),
                    ));
                }
                if self.case.supplement.is_some() {
                    return now_illegal(Msg::new(
                        "act_awaiting_supplement",
                        "该办件正在等待申请人补正材料，请在材料补齐后再办理",
                        "the case waits for supplemented materials (补正); act once they arrive",
                    ));
                }
                if let Some(sp) = &self.case.special {
                    return now_illegal(Msg::new(
                        "act_during_special_procedure",
                        format!(
                            "该办件正在进行特别程序（{}），请先结束特别程序再办理",
                            sp.kind.zh()
                        ),
                        format!(
                            "a special procedure ({}) is under way; end it first",
                            sp.kind.zh()
                        ),
                    ));
                }
                self.act(*task, *action, return_to.as_deref(), opinion)
            }
            Command::StartSpecialProcedure { kind, reason } => {
                if status != CaseStatus::InReview {
                    return now_illegal(Msg::new(
                        "special_procedure_not_in_review",
                        "办件审查中才能启动特别程序",
                        "a special procedure can start only while the case is in review",
                    ));
                }
                if self.case.special.is_some() {
                    return now_illegal(Msg::new(
                        "special_procedure_running",
                        "已有特别程序正在进行，请先结束该特别程序",
                        "a special procedure is already under way; end it first",
                    ));
                }
                if reason.trim().is_empty() {
                    return invalid(Msg::new(
                        "special_procedure_needs_reason",
                        "请写明启动特别程序的理由；特别程序所需时间不计入办理时限",
                        "give the reason for the special procedure; it is excluded from the time limit",
                    ));
                }
                self.emit(Event::SpecialProcedureStarted {
                    kind: *kind,
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::EndSpecialProcedure { result } => {
                if self.case.special.is_none() {
                    return now_illegal(Msg::new(
                        "no_special_procedure",
                        "当前没有正在进行的特别程序",
                        "no special procedure is under way",
                    ));
                }
                self.emit(Event::SpecialProcedureEnded {
                    result: result.trim().to_owned(),
                });
                Ok(())
            }
            Command::RequestExtension { limit, reason } => {
                if status != CaseStatus::InReview {
                    return now_illegal(Msg::new(
                        "extension_not_in_review",
                        "办件审查中才能申请延期",
                        "more time can be asked only while the case is in review",
                    ));
                }
                if self.case.extension_request.is_some() {
                    return now_illegal(Msg::new(
                        "extension_pending",
                        "已有一份延期申请等待科室负责人审批，请等待审批结果",
                        "a request for more time is already waiting for the supervisor",
                    ));
                }
                self.check_extension(limit, reason)?;
                self.emit(Event::ExtensionRequested {
                    request: ExtensionRequest {
                        limit: *limit,
                        reason: reason.trim().to_owned(),
                        by: self.ctx.actor.name.clone(),
                        at: self.ctx.now,
                    },
                });
                Ok(())
            }
            Command::DenyExtension { reason } => {
                if self.case.extension_request.is_none() {
                    return now_illegal(Msg::new(
                        "no_extension_pending",
                        "没有待审批的延期申请",
                        "no request for more time is waiting",
                    ));
                }
                self.emit(Event::ExtensionDenied {
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::GrantExtension { limit, reason } => {
                if status != CaseStatus::InReview {
                    return now_illegal(Msg::new(
                        "grant_extension_not_in_review",
                        "办件审查中才能批准延期",
                        "an extension can be granted only while the case is in review",
                    ));
                }
                self.check_extension(limit, reason)?;
                self.emit(Event::ExtensionGranted {
                    extension: Extension {
                        limit: *limit,
                        reason: reason.trim().to_owned(),
                        approver: self.ctx.actor.name.clone(),
                    },
                });
                Ok(())
            }
            Command::Deliver { delivery } => {
                if status != CaseStatus::Decided {
                    return now_illegal(Msg::new(
                        "deliver_not_decided",
                        format!("办件作出决定后才能出件；该办件{}", status.zh()),
                        format!(
                            "a result can be delivered only once decided; this case is {}",
                            status.zh()
                        ),
                    ));
                }
                if self.case.outcome != Some(CaseOutcome::Refused) && !self.case.deferred.is_empty() {
                    // Named as the catalog names them: the applicant reads this.
                    let specs = self.case.material_specs(self.ctx.registry)?;
                    let names: Vec<String> = self
                        .case
                        .deferred
                        .iter()
                        .map(|c| {
                            specs
                                .iter()
                                .find(|s| &s.code == c)
                                .map(|s| s.name.clone())
                                .unwrap_or_else(|| c.to_string())
                        })
                        .collect();
                    return now_illegal(Msg::new(
                        "deferred_materials_outstanding",
                        format!("容缺受理的材料须在出件前补齐，尚缺：{}", names.join("、")),
                        format!(
                            "materials accepted with gaps (容缺) must arrive before the result is handed out: {}",
                            names.join(", ")
                        ),
                    ));
                }
                if let DeliveryMethod::Mail { tracking_number } = delivery
                    && (tracking_number.trim().len() < 6
                        || !tracking_number.trim().chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    return invalid(Msg::new(
                        "tracking_number_needed",
                        "请填写快递单号（6位以上字母或数字）",
                        "give the mail tracking number (6 or more letters and digits)",
                    ));
                }
                self.emit(Event::Delivered {
                    delivery: delivery.clone(),
                });
                Ok(())
            }
            Command::Withdraw { reason } => {
                if !matches!(status, CaseStatus::Submitted | CaseStatus::InReview) {
                    return now_illegal(Msg::new(
                        "withdraw_too_late",
                        format!("办件作出决定前才能撤回；该办件{}", status.zh()),
                        format!(
                            "a case can be withdrawn only before its decision; this one is {}",
                            status.en()
                        ),
                    ));
                }
                if reason.trim().is_empty() {
                    return invalid(Msg::new(
                        "withdraw_needs_reason",
                        "请写明撤回原因；撤回后如需办理须重新申请",
                        "give the reason for withdrawing; to go on later, apply again",
                    ));
                }
                let open: Vec<TaskId> = self.case.open_tasks().map(|t| t.id).collect();
                for task in open {
                    self.emit(Event::TaskCancelled { task });
                }
                self.emit(Event::Withdrawn {
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::Rate { level, comment } => {
                if !matches!(status, CaseStatus::Delivered | CaseStatus::NotAccepted) {
                    return now_illegal(Msg::new(
                        "rating_too_early",
                        "办件办结后才能评价",
                        "a case can be rated once it is finished",
                    ));
                }
                if self.case.rating.is_some() {
                    return now_illegal(Msg::new(
                        "rated_already",
                        "该办件已评价过",
                        "this case has been rated already",
                    ));
                }
                if !(1..=5).contains(level) {
                    return invalid(Msg::new(
                        "rating_out_of_range",
                        "请选择评价等级：1（非常不满意）至5（非常满意）",
                        "rate from 1 (非常不满意) to 5 (非常满意)",
                    ));
                }
                if *level <= 2 && comment.trim().is_empty() {
                    return invalid(Msg::new(
                        "rating_needs_comment",
                        "差评（1或2分）请写明哪里不满意，以便整改",
                        "a 差评 (1 or 2) needs a comment saying what went wrong, so it can be put right",
                    ));
                }
                self.emit(Event::Rated {
                    level: *level,
                    comment: comment.trim().to_owned(),
                });
                Ok(())
            }
            Command::CheckClock { target, alarm } => {
                self.check_clock(*target, *alarm);
                Ok(())
            }
            Command::ConsultArchive { reason } => {
                if self.case.decided_at.is_none() {
                    return now_illegal(Msg::new(
                        "not_archived",
                        "该办件尚未办结，还不在档案中；请在办件页面查看",
                        "the case is not decided yet, so it is not in the archive; open it as a case",
                    ));
                }
                let reason = reason.trim();
                if reason.is_empty() || reason.chars().count() > 200 {
                    return invalid(
                        Msg::new(
                            "archive_reason",
                            "请填写查档事由（不超过200字），查档记录将留存备查",
                            "give the reason for the lookup (at most 200 characters); every lookup is recorded",
                        )
                        .at("reason"),
                    );
                }
                self.emit(Event::ArchiveConsulted {
                    reason: reason.to_owned(),
                });
                Ok(())
            }
            Command::ConveneMeeting {
                topic,
                departments,
                at,
                link,
            } => self.convene_meeting(topic, departments, *at, link),
            Command::RecordMeeting {
                meeting,
                minutes,
                opinions,
            } => self.record_meeting(*meeting, minutes, opinions),
            Command::RecordInspection {
                task,
                evidence,
                checklist,
                conclusion,
            } => self.record_inspection(*task, evidence, checklist, conclusion),
        }
    }

    pub(super) fn check_extension(&self, limit: &Limit, reason: &str) -> Result<(), CaseError> {
        if reason.trim().is_empty() {
            return invalid(Msg::new(
                "extension_needs_reason",
                "请写明延期理由",
                "give the reason for the extension (延期理由)",
            ));
        }
        if limit.amount() == 0 {
            return invalid(Msg::new(
                "extension_adds_nothing",
                "延期至少须延长一个计时单位",
                "an extension must add at least one unit of time",
            ));
        }
        if !limit.same_unit(self.case.promised_limit) {
            let unit = self.case.promised_limit.unit_zh().trim_start_matches('个');
            return invalid(Msg::new(
                "extension_unit_mismatch",
                format!("该办件的时限按{unit}计算，请按相同单位申请延期"),
                format!("the case's limit is counted in {unit}; give the extension in the same unit"),
            ));
        }
        Ok(())
    }
}
