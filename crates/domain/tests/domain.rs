//! onego's rules, tested without a database: values, process definitions, the case lifecycle, the
//! access policy.

use chrono::NaiveDate;
use onego_calendar::{ClockPolicy, ClockState, Limit, Timestamp, WorkingCalendar};
use onego_domain::case::*;
use onego_domain::catalog::*;
use onego_domain::labels::Label;
use onego_domain::org::{Actor, Department, Role};
use onego_domain::policy;
use onego_domain::process::{Outcome, ProcessDefinition, TaskAction};
use onego_domain::values::*;
use serde_json::json;

// --- Fixture: a tiny city ---------------------------------------------------------------------------

fn code(s: &str) -> Code {
    Code::parse(s).expect("code")
}

const PARALLEL: &str = r#"
code = "parallel-three"
version = 1
name = "三部门并联审查"
start = "split"

[[node]]
id = "split"
type = "parallel"
branches = ["market", "fire", "health"]

[[node]]
id = "market"
type = "task"
name = "市场监管审查"
department = "market"
limit = "3wd"
actions = ["approve", "refuse"]
next = "join"

[[node]]
id = "fire"
type = "task"
name = "消防审查"
department = "fire"
limit = "3wd"
next = "join"

[[node]]
id = "health"
type = "task"
name = "卫生审查"
department = "health"
limit = "3wd"
next = "join"

[[node]]
id = "join"
type = "join"
next = "decide"

[[node]]
id = "decide"
type = "task"
name = "决定"
department = "@item"
limit = "2wd"
actions = ["approve", "return", "refuse"]
return_to = ["decide"]
next = "approved"

[[node]]
id = "approved"
type = "end"
outcome = "approved"
"#;

const REVIEW: &str = r#"
code = "review-decide"
version = 1
name = "审查决定"
start = "auto"

[[node]]
id = "auto"
type = "auto"
name = "秒批"
rule = "capital <= 100 and industry in [\"软件\", \"咨询\"]"
then = "approved"
otherwise = "review"

[[node]]
id = "review"
type = "task"
name = "审查"
department = "@item"
limit = "5wd"
actions = ["approve", "refuse"]
next = "decide"

[[node]]
id = "decide"
type = "task"
name = "决定"
department = "@item"
role = "supervisor"
limit = "2wd"
actions = ["approve", "return", "refuse"]
return_to = ["review"]
next = "approved"

[[node]]
id = "approved"
type = "end"
outcome = "approved"
"#;

const COUNTERSIGN: &str = r#"
code = "countersign"
version = 1
name = "联合会签"
start = "sign"

[[node]]
id = "sign"
type = "countersign"
name = "联合审查"
departments = ["market", "fire"]
limit = "3wd"
next = "approved"

[[node]]
id = "approved"
type = "end"
outcome = "approved"
"#;

fn material(c: &str, name: &str, necessity: Necessity) -> MaterialSpec {
    MaterialSpec {
        code: code(c),
        name: name.into(),
        kind: MaterialKind::Proof,
        form: MaterialForm::Either,
        necessity,
        source: MaterialSource::Applicant,
        copies: 1,
        blank_form: None,
        note: None,
        certificate: None,
    }
}

fn item(
    c: &str,
    name: &str,
    dept: &str,
    process: &str,
    handling: Handling,
    materials: Vec<MaterialSpec>,
) -> ServiceItem {
    ServiceItem {
        base_code: code(&format!("B-{c}")),
        impl_code: code(c),
        version: 1,
        effective_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
        effective_until: None,
        name: name.into(),
        kind: ItemKind::Licensing,
        department: code(dept),
        legal_limit: Limit::WorkingDays(20),
        promised_limit: Limit::WorkingDays(10),
        handling,
        visits_required: 1,
        online_depth: OnlineDepth::FullyOnline,
        conditions: vec!["申请人具有完全民事行为能力".into()],
        materials,
        fees: vec![],
        result_name: format!("{name}决定书"),
        result_type: "证照".into(),
        place: "政务服务中心".into(),
        hours: "工作日 9:00-17:30".into(),
        consult_phone: "0531-12345".into(),
        complaint_phone: "12345".into(),
        process: code(process),
        certificate_type: None,
        auto_approval: false,
    }
}

fn catalog() -> Catalog {
    let id_card = || material("M-ID", "身份证明", Necessity::Required);
    Catalog {
        baselines: vec![],
        departments: ["market", "fire", "health", "police"]
            .iter()
            .map(|d| Department {
                code: code(d),
                name: d.to_string(),
                uscc: None,
            })
            .collect(),
        items: vec![
            item(
                "FOOD-01",
                "食品经营许可",
                "market",
                "parallel-three",
                Handling::Promised,
                vec![
                    id_card(),
                    material("M-LEASE", "场所证明", Necessity::Required),
                    material("M-PLAN", "布局图", Necessity::Deferrable),
                ],
            ),
            item(
                "REG-01",
                "设立登记",
                "market",
                "review-decide",
                Handling::Promised,
                vec![id_card()],
            ),
            item(
                "SEAL-01",
                "公章刻制备案",
                "police",
                "review-decide",
                Handling::Instant,
                vec![id_card()],
            ),
            item(
                "JOINT-01",
                "联合审查事项",
                "market",
                "countersign",
                Handling::Promised,
                vec![id_card()],
            ),
        ],
        bundles: vec![Bundle {
            code: code("OPEN-BIZ"),
            version: 1,
            effective_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            name: "企业开办".into(),
            description: "设立登记、公章刻制一次办".into(),
            members: vec![code("REG-01"), code("SEAL-01"), code("JOINT-01")],
            lead_department: code("market"),
            promised_limit: Limit::WorkingDays(3),
            result_name: "营业执照和印章".into(),
            form_fields: vec![],
        }],
        processes: [PARALLEL, REVIEW, COUNTERSIGN]
            .iter()
            .map(|t| ProcessDefinition::from_toml(t).expect("valid definition"))
            .collect(),
        certificate_types: vec![],
        project_paths: vec![],
    }
}

fn person() -> ResidentId {
    ResidentId::parse("11010519491231002X").expect("the standard's example ID")
}

fn actor(role: Role, dept: Option<&str>) -> Actor {
    Actor {
        user_id: match role {
            Role::Applicant => 100,
            Role::Clerk => 2,
            Role::Approver => 3,
            Role::Supervisor => 4,
            Role::Leader => 5,
            Role::Admin => 6,
            Role::Operator => 7,
            Role::Dispatcher => 8,
            Role::GridMember => 9,
            Role::Agent => 10,
            Role::System => 0,
        },
        username: role.as_str().into(),
        name: role.zh().into(),
        role,
        department: dept.map(code),
        applicant: (role == Role::Applicant).then(|| ApplicantId::Person { id_number: person() }),
        mandates: Vec::new(),
    }
}

fn applicant_user() -> Actor {
    actor(Role::Applicant, None)
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{s}+08:00")).expect("instant")
}

struct World {
    catalog: Catalog,
    calendar: WorkingCalendar,
}

impl World {
    fn new() -> World {
        World {
            catalog: catalog(),
            calendar: WorkingCalendar::default(),
        }
    }

    fn ctx<'a>(&'a self, who: &'a Actor, now: &str) -> Context<'a> {
        Context {
            now: at(now),
            actor: who,
            registry: &self.catalog,
            calendar: &self.calendar,
            policy: ClockPolicy::default(),
        }
    }

    fn submit(&self, subject: SubjectRef, materials: &[&str], form: serde_json::Value, now: &str) -> Case {
        self.submit_on(Channel::Online, subject, materials, form, now)
    }

    fn submit_on(
        &self,
        channel: Channel,
        subject: SubjectRef,
        materials: &[&str],
        form: serde_json::Value,
        now: &str,
    ) -> Case {
        let who = match channel {
            Channel::Window => actor(Role::Clerk, None),
            _ => applicant_user(),
        };
        let submission = Submission {
            subject,
            channel,
            applicant: Applicant {
                id: ApplicantId::Person { id_number: person() },
                name: "张三".into(),
                mobile: Some(Mobile::parse("13812345678").expect("mobile")),
                user_id: Some(who.user_id),
            },
            form,
            materials: materials
                .iter()
                .enumerate()
                .map(|(n, m)| ProvidedMaterial {
                    code: code(m),
                    at: at(now),
                    file: Some(FileRef::new(n as i64 + 1)),
                    certificate: None,
                })
                .collect(),
            holder_consent: false,
            project: None,
        };
        policy::authorize_submission(&who, &submission).expect("own application");
        let number = CaseNumber::new(
            &RegionCode::parse("370100").expect("region"),
            at(now).to_utc().date_naive(),
            1,
        )
        .expect("number");
        let (case, entries) = Case::open(&self.ctx(&who, now), 1, number, submission, None).expect("opens");
        assert_eq!(entries.len(), 1);
        case
    }

    /// Authorises, decides and applies, as the store will.
    fn run(&self, case: &mut Case, who: &Actor, cmd: Command, now: &str) -> Result<Vec<Entry>, String> {
        policy::authorize_command(who, case, &cmd).map_err(|e| format!("denied: {e}"))?;
        let entries = case
            .decide(&self.ctx(who, now), &cmd)
            .map_err(|e| e.to_string())?;
        for e in &entries {
            case.apply(e);
        }
        Ok(entries)
    }

    fn ok(&self, case: &mut Case, who: &Actor, cmd: Command, now: &str) -> Vec<Entry> {
        self.run(case, who, cmd, now).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn accept(received: &[&str], deferred: &[&str]) -> Command {
    Command::Accept {
        received: received.iter().map(|c| code(c)).collect(),
        deferred: deferred.iter().map(|c| code(c)).collect(),
        opinion: "材料齐全".into(),
    }
}

fn approve(task: TaskId) -> Command {
    Command::Act {
        task,
        action: TaskAction::Approve,
        return_to: None,
        opinion: "同意".into(),
    }
}

fn open_task(case: &Case, dept: &str) -> TaskId {
    case.open_tasks()
        .find(|t| t.department.as_str() == dept)
        .map(|t| t.id)
        .expect("an open task for the department")
}

// --- Values -----------------------------------------------------------------------------------------

#[test]
fn a_uscc_with_a_correct_check_character_parses_and_a_mistyped_one_does_not() {
    let good = Uscc::with_check("91370100MA3C5X1B2")
        .expect("completes")
        .to_string();
    assert_eq!(Uscc::parse(&good.to_lowercase()).expect("valid").as_str(), good);
    let mut wrong = good.clone().into_bytes();
    wrong[17] = if wrong[17] == b'0' { b'1' } else { b'0' };
    let err = Uscc::parse(std::str::from_utf8(&wrong).expect("ascii"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("check character"), "{err}");
    assert!(
        Uscc::parse("91370100MA3C5X1B")
            .unwrap_err()
            .to_string()
            .contains("18 characters")
    );
    assert!(
        Uscc::parse("91370100MA3C5XIB2Z")
            .unwrap_err()
            .to_string()
            .contains("other than I, O, Z, S and V")
    );
}

#[test]
fn a_resident_id_checks_its_birth_date_and_check_digit() {
    assert!(ResidentId::parse("11010519491231002x").is_ok());
    assert!(
        ResidentId::parse("110105194912310021")
            .unwrap_err()
            .to_string()
            .contains("check character")
    );
    assert!(
        ResidentId::parse("110105194913310020")
            .unwrap_err()
            .to_string()
            .contains("birth date")
    );
    assert_eq!(person().masked(), "110105********002X");
    let generated = ResidentId::with_check("37010219900307123").expect("valid");
    assert!(ResidentId::parse(generated.as_str()).is_ok());
}

#[test]
fn applicant_ids_tell_persons_from_organisations() {
    assert!(matches!(
        ApplicantId::parse("11010519491231002X"),
        Ok(ApplicantId::Person { .. })
    ));
    let uscc = Uscc::with_check("91370100MA3C5X1B2").expect("valid");
    assert!(matches!(
        ApplicantId::parse(uscc.as_str()),
        Ok(ApplicantId::Organisation { .. })
    ));
    let err = ApplicantId::parse("110105194912310021").unwrap_err().to_string();
    assert!(
        err.contains("ID number"),
        "a digits-only typo is reported as an ID number: {err}"
    );
}

#[test]
fn email_addresses_are_checked_where_entered_and_masked_in_lists() {
    use onego_domain::values::Email;
    for ok in [
        "wang@example.com",
        " li.ming+case@mail.jn.gov.cn ",
        "张@例子.中国",
    ] {
        assert!(Email::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "wang",
        "wang@",
        "@example.com",
        "wang@example",
        "wang @example.com",
        "a@b@c.cn",
        "wang@-x.cn",
        "wang..li@x.cn",
        "wang@x..cn",
        "<wang@x.cn>",
        "a@x.cn,b@y.cn",
    ] {
        let e = Email::parse(bad).expect_err(bad);
        assert!(e.msg().zh.contains("name@example.com"), "{bad}");
    }
    assert_eq!(
        Email::parse("wang@example.com").expect("ok").masked(),
        "w***@example.com"
    );
    assert_eq!(
        onego_domain::privacy::mask_contact("wang@example.com"),
        "w***@example.com"
    );
    assert_eq!(onego_domain::privacy::mask_contact("13812345678"), "138****5678");
    assert_eq!(onego_domain::privacy::mask_contact("not an address@"), "***");
}

#[test]
fn mobiles_case_numbers_and_codes_are_validated() {
    assert_eq!(
        Mobile::parse("+86 138-1234-5678").expect("valid").as_str(),
        "13812345678"
    );
    assert_eq!(
        Mobile::parse("13812345678").expect("valid").masked(),
        "138****5678"
    );
    assert!(Mobile::parse("12812345678").is_err());
    let n = CaseNumber::new(
        &RegionCode::parse("370100").expect("region"),
        NaiveDate::from_ymd_opt(2026, 2, 13).expect("d"),
        42,
    )
    .expect("number");
    assert_eq!(n.as_str(), "37010020260213000042");
    assert_eq!(CaseNumber::parse(n.as_str()), Ok(n));
    assert!(CaseNumber::parse("37010020261313000042").is_err());
    assert!(Code::parse("a b").is_err());
    assert!(RegionCode::parse("070100").is_err());
}

// --- Process definitions ----------------------------------------------------------------------------

fn def_error(text: &str) -> String {
    ProcessDefinition::from_toml(text)
        .expect_err("invalid")
        .to_string()
}

const HEAD: &str = "code = \"pp\"\nversion = 1\nname = \"p\"\nstart = \"a\"\n";

#[test]
fn a_definition_reports_an_unreachable_node() {
    let text = format!(
        "{HEAD}[[node]]\nid = \"a\"\ntype = \"end\"\noutcome = \"approved\"\n\
         [[node]]\nid = \"lost\"\ntype = \"end\"\noutcome = \"refused\"\n"
    );
    assert_eq!(
        def_error(&text),
        "node \"lost\": is unreachable from the start; connect it or remove it"
    );
}

#[test]
fn a_definition_reports_a_join_without_a_split() {
    let text = format!(
        "{HEAD}[[node]]\nid = \"a\"\ntype = \"join\"\nnext = \"e\"\n[[node]]\nid = \"e\"\ntype = \"end\"\noutcome = \"approved\"\n"
    );
    assert_eq!(
        def_error(&text),
        "node \"a\": is a join without a parallel split before it"
    );
}

#[test]
fn a_definition_reports_a_task_without_a_department() {
    let text = format!(
        "{HEAD}[[node]]\nid = \"a\"\ntype = \"task\"\nlimit = \"3wd\"\nnext = \"e\"\n[[node]]\nid = \"e\"\ntype = \"end\"\noutcome = \"approved\"\n"
    );
    assert!(def_error(&text).starts_with("node \"a\": is a task without a department"));
}

#[test]
fn a_definition_reports_loops_unjoined_branches_and_bad_returns() {
    let looped = format!(
        "{HEAD}[[node]]\nid = \"a\"\ntype = \"task\"\ndepartment = \"x1\"\nlimit = \"1wd\"\nnext = \"b\"\n\
         [[node]]\nid = \"b\"\ntype = \"task\"\ndepartment = \"x1\"\nlimit = \"1wd\"\nnext = \"a\"\n"
    );
    assert!(
        def_error(&looped).contains("is part of a loop"),
        "{}",
        def_error(&looped)
    );
    let unjoined = format!(
        "{HEAD}[[node]]\nid = \"a\"\ntype = \"parallel\"\nbranches = [\"e1\", \"e2\"]\n\
         [[node]]\nid = \"e1\"\ntype = \"end\"\noutcome = \"approved\"\n[[node]]\nid = \"e2\"\ntype = \"end\"\noutcome = \"approved\"\n"
    );
    assert!(
        def_error(&unjoined).contains("before its join"),
        "{}",
        def_error(&unjoined)
    );
    let across = PARALLEL.replace("return_to = [\"decide\"]", "return_to = [\"market\"]");
    assert!(
        def_error(&across).contains("across a parallel split"),
        "{}",
        def_error(&across)
    );
    let unknown = PARALLEL.replace("next = \"decide\"", "next = \"decyde\"");
    assert_eq!(
        def_error(&unknown),
        "node \"join\": leads to \"decyde\", which is not a node of the process"
    );
    let bad_rule = REVIEW.replace("capital <= 100", "capital =< 100");
    assert!(
        def_error(&bad_rule).contains("node \"auto\": rule"),
        "{}",
        def_error(&bad_rule)
    );
    assert!(
        def_error("code = 1").contains("not valid at line 1"),
        "{}",
        def_error("code = 1")
    );
}

#[test]
fn a_process_file_error_says_in_chinese_where_and_what_to_change() {
    let zh = |text: &str| ProcessDefinition::from_toml(text).expect_err("invalid").msg().zh;
    // TOML syntax: the line and column, and no parser English.
    let broken = REVIEW.replacen("name = ", "name == ", 1);
    let m = zh(&broken);
    assert!(m.starts_with("流程文件第 ") && m.contains(" 行第 "), "{m}");
    assert!(!m.contains("expected"), "{m}");
    let m = zh("code = \"X\"\nversion = 1\nname = \"n\"\n");
    assert!(m.contains("缺少必填项 start"), "{m}");
    // A node's mistake names the node and says what to do, in Chinese.
    let unknown = PARALLEL.replace("next = \"decide\"", "next = \"decyde\"");
    assert_eq!(zh(&unknown), "节点“join”：指向的“decyde”不是本流程的节点");
    let bad_rule = REVIEW.replace("capital <= 100", "capital =< 100");
    assert!(zh(&bad_rule).contains("条件规则"), "{}", zh(&bad_rule));
    let bad_limit = REVIEW.replacen("limit = \"", "limit = \"x", 1);
    assert!(zh(&bad_limit).contains("时限"), "{}", zh(&bad_limit));
}

#[test]
fn a_join_waits_for_as_many_branches_as_its_split_has() {
    let def = ProcessDefinition::from_toml(PARALLEL).expect("valid");
    assert_eq!(def.joins.get("join"), Some(&("split".to_owned(), 3)));
}

// --- The case lifecycle -----------------------------------------------------------------------------

#[test]
fn an_application_runs_through_three_departments_in_parallel_to_delivery() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE", "M-PLAN"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    assert_eq!(case.status, CaseStatus::Submitted);
    let clerk = actor(Role::Clerk, None);
    w.ok(&mut case, &clerk, accept(&[], &[]), "2026-03-02T10:00:00");
    assert_eq!(case.status, CaseStatus::InReview);
    let depts: Vec<&str> = case.open_tasks().map(|t| t.department.as_str()).collect();
    assert_eq!(depts, ["market", "fire", "health"]);

    for (dept, time) in [("fire", "2026-03-03T10:00:00"), ("market", "2026-03-03T11:00:00")] {
        let who = actor(Role::Approver, Some(dept));
        let t = open_task(&case, dept);
        w.ok(&mut case, &who, approve(t), time);
        assert!(
            case.open_tasks().all(|t| t.name != "决定"),
            "the join waits for every branch"
        );
    }
    let health = actor(Role::Approver, Some("health"));
    let t = open_task(&case, "health");
    let entries = w.ok(&mut case, &health, approve(t), "2026-03-04T10:00:00");
    assert!(
        entries
            .iter()
            .any(|e| matches!(e.event, Event::BranchesJoined { .. }))
    );
    let decide = case
        .open_tasks()
        .find(|t| t.name == "决定")
        .expect("decide task opened")
        .id;
    let market = actor(Role::Approver, Some("market"));
    w.ok(&mut case, &market, approve(decide), "2026-03-05T10:00:00");
    assert_eq!(case.status, CaseStatus::Decided);
    assert_eq!(case.outcome, Some(CaseOutcome::Approved));
    assert_eq!(
        case.clock_state(&w.calendar, ClockPolicy::default(), at("2026-04-30T00:00:00")),
        Some(ClockState::Running)
    );

    let err = w.run(
        &mut case,
        &applicant_user(),
        Command::Deliver {
            delivery: DeliveryMethod::Electronic,
        },
        "2026-03-05T11:00:00",
    );
    assert!(err.unwrap_err().starts_with("denied"), "only the window delivers");
    w.ok(
        &mut case,
        &clerk,
        Command::Deliver {
            delivery: DeliveryMethod::Mail {
                tracking_number: "SF1234567890".into(),
            },
        },
        "2026-03-05T11:00:00",
    );
    assert_eq!(case.status, CaseStatus::Delivered);
    w.ok(
        &mut case,
        &applicant_user(),
        Command::Rate {
            level: 5,
            comment: "很快".into(),
        },
        "2026-03-06T11:00:00",
    );
    assert_eq!(case.rating.as_ref().map(|r| r.level), Some(5));
    let again = w.run(
        &mut case,
        &applicant_user(),
        Command::Rate {
            level: 4,
            comment: String::new(),
        },
        "2026-03-06T12:00:00",
    );
    assert!(again.unwrap_err().contains("rated already"));
}

#[test]
fn acceptance_lists_missing_required_materials_and_changes_nothing() {
    let w = World::new();
    // Registered at the window, where the clerk checks the papers at acceptance.
    let mut case = w.submit_on(
        Channel::Window,
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    let before = case.clone();
    let err = w
        .run(
            &mut case,
            &actor(Role::Clerk, None),
            accept(&[], &[]),
            "2026-03-02T10:00:00",
        )
        .unwrap_err();
    assert!(
        err.contains("场所证明") && err.contains("布局图") && err.contains("补正"),
        "{err}"
    );
    assert_eq!(case, before);
}

#[test]
fn an_online_application_without_its_required_materials_is_refused_with_their_names_in_both_languages() {
    let w = World::new();
    let who = applicant_user();
    let submission = Submission {
        subject: SubjectRef::Item {
            code: code("FOOD-01"),
        },
        channel: Channel::Online,
        applicant: Applicant {
            id: ApplicantId::Person { id_number: person() },
            name: "张三".into(),
            mobile: None,
            user_id: Some(who.user_id),
        },
        form: json!({}),
        materials: vec![],
        holder_consent: false,
        project: None,
    };
    let number = CaseNumber::new(
        &RegionCode::parse("370100").expect("region"),
        at("2026-03-02T09:00:00").to_utc().date_naive(),
        1,
    )
    .expect("number");
    let err =
        Case::open(&w.ctx(&who, "2026-03-02T09:00:00"), 1, number, submission, None).expect_err("refused");
    let CaseError::Invalid(msg) = err else {
        panic!("refused as invalid: {err:?}")
    };
    assert_eq!(msg.code, "materials_missing_online");
    assert!(
        msg.zh.contains("场所证明") && msg.zh.contains("请上传"),
        "{}",
        msg.zh
    );
    assert!(
        msg.en.contains("场所证明") && msg.en.contains("upload them"),
        "{}",
        msg.en
    );
}

#[test]
fn a_withdrawal_needs_a_reason() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    let err = w
        .run(
            &mut case,
            &applicant_user(),
            Command::Withdraw { reason: "  ".into() },
            "2026-03-02T10:00:00",
        )
        .expect_err("refused");
    assert!(err.contains("reason"), "{err}");
}

#[test]
fn accept_with_gaps_lets_review_run_but_holds_delivery_until_the_material_arrives() {
    let w = World::new();
    let clerk = actor(Role::Clerk, None);
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    let err = w
        .run(
            &mut case,
            &clerk,
            accept(&[], &["M-LEASE"]),
            "2026-03-02T10:00:00",
        )
        .unwrap_err();
    assert!(
        err.contains("both received and deferred") || err.contains("cannot be supplied later"),
        "{err}"
    );
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(&mut case, &clerk, accept(&[], &["M-PLAN"]), "2026-03-02T10:00:00");
    assert_eq!(case.deferred, vec![code("M-PLAN")]);
    for dept in ["market", "fire", "health", "market"] {
        let t = open_task(&case, dept);
        w.ok(
            &mut case,
            &actor(Role::Approver, Some(dept)),
            approve(t),
            "2026-03-03T10:00:00",
        );
    }
    assert_eq!(case.status, CaseStatus::Decided);
    let err = w
        .run(
            &mut case,
            &clerk,
            Command::Deliver {
                delivery: DeliveryMethod::Window,
            },
            "2026-03-04T10:00:00",
        )
        .unwrap_err();
    assert!(err.contains("容缺"), "{err}");
    w.ok(
        &mut case,
        &applicant_user(),
        Command::SupplyMaterials {
            materials: vec![code("M-PLAN")],
            files: Default::default(),
        },
        "2026-03-04T11:00:00",
    );
    w.ok(
        &mut case,
        &clerk,
        Command::Deliver {
            delivery: DeliveryMethod::Window,
        },
        "2026-03-04T12:00:00",
    );
    assert_eq!(case.status, CaseStatus::Delivered);
}

#[test]
fn a_supplement_request_stops_the_clock_until_every_listed_material_arrives() {
    let w = World::new();
    let clerk = actor(Role::Clerk, None);
    let mut case = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({"capital": 500}),
        "2026-03-02T09:00:00",
    );
    w.ok(&mut case, &clerk, accept(&[], &[]), "2026-03-02T10:00:00");
    let due_before = case
        .clock()
        .expect("clock")
        .read(&w.calendar, ClockPolicy::default(), at("2026-03-02T10:00:00"))
        .expect("reads")
        .due;
    let market = actor(Role::Approver, Some("market"));
    let notice = Command::RequestSupplement {
        missing: vec![MissingMaterial {
            code: code("M-ID"),
            name: String::new(),
            reason: "复印件不清晰".into(),
        }],
        note: "请补正后重新提交".into(),
    };
    w.ok(&mut case, &market, notice.clone(), "2026-03-03T15:00:00");
    let again = w
        .run(&mut case, &market, notice, "2026-03-03T16:00:00")
        .unwrap_err();
    assert!(again.contains("一次性告知"), "{again}");
    let listed = &case.supplement.as_ref().expect("pending").missing[0];
    assert_eq!(
        listed.name, "身份证明",
        "the name comes from the catalog when not given"
    );
    let reading = case
        .clock()
        .expect("clock")
        .read(&w.calendar, ClockPolicy::default(), at("2026-03-05T10:00:00"))
        .expect("reads");
    assert_eq!(reading.state, ClockState::Paused);
    let review = open_task(&case, "market");
    let blocked = w
        .run(&mut case, &market, approve(review), "2026-03-05T10:00:00")
        .unwrap_err();
    assert!(blocked.contains("补正"), "{blocked}");
    w.ok(
        &mut case,
        &applicant_user(),
        Command::SupplyMaterials {
            materials: vec![code("M-ID")],
            files: Default::default(),
        },
        "2026-03-09T11:00:00",
    );
    let after = case
        .clock()
        .expect("clock")
        .read(&w.calendar, ClockPolicy::default(), at("2026-03-09T12:00:00"))
        .expect("reads");
    assert_eq!(after.state, ClockState::Running);
    assert!(
        after.due > due_before,
        "the paused working days are added: {:?} > {:?}",
        after.due,
        due_before
    );
}

#[test]
fn a_refused_acceptance_needs_a_reason_and_ends_the_case() {
    let w = World::new();
    let clerk = actor(Role::Clerk, None);
    let mut case = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    let err = w
        .run(
            &mut case,
            &clerk,
            Command::RefuseAcceptance { reason: " ".into() },
            "2026-03-02T10:00:00",
        )
        .unwrap_err();
    assert!(err.contains("reason"));
    w.ok(
        &mut case,
        &clerk,
        Command::RefuseAcceptance {
            reason: "不属于本机关职权范围".into(),
        },
        "2026-03-02T10:00:00",
    );
    assert_eq!(case.status, CaseStatus::NotAccepted);
    let err = w
        .run(&mut case, &clerk, accept(&[], &[]), "2026-03-02T11:00:00")
        .unwrap_err();
    assert!(err.contains("only a submitted case"), "{err}");
}

#[test]
fn an_instant_item_is_decided_at_acceptance() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("SEAL-01"),
        },
        &["M-ID"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    assert_eq!(case.status, CaseStatus::Decided);
    assert_eq!(case.decided_at, case.accepted_at);
    assert!(case.tasks.is_empty());
}

#[test]
fn an_automatic_step_approves_when_its_rule_holds_and_hands_over_to_people_when_not() {
    let w = World::new();
    let clerk = actor(Role::Clerk, None);
    let mut quick = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({"capital": 50, "industry": "软件"}),
        "2026-03-02T09:00:00",
    );
    let entries = w.ok(&mut quick, &clerk, accept(&[], &[]), "2026-03-02T10:00:00");
    assert!(
        entries
            .iter()
            .any(|e| matches!(e.event, Event::AutoDecided { passed: true, .. }))
    );
    assert_eq!(quick.outcome, Some(CaseOutcome::Approved));
    let mut slow = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({"capital": 5000, "industry": "软件"}),
        "2026-03-02T09:00:00",
    );
    w.ok(&mut slow, &clerk, accept(&[], &[]), "2026-03-02T10:00:00");
    assert_eq!(slow.status, CaseStatus::InReview);
    assert_eq!(slow.open_tasks().count(), 1);
}

#[test]
fn a_task_can_return_work_to_an_earlier_task_and_only_its_role_can_decide() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({"capital": 5000}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    let approver = actor(Role::Approver, Some("market"));
    let supervisor = actor(Role::Supervisor, Some("market"));
    let t = open_task(&case, "market");
    w.ok(&mut case, &approver, approve(t), "2026-03-02T11:00:00");
    let decide = open_task(&case, "market");
    let err = w
        .run(&mut case, &approver, approve(decide), "2026-03-02T12:00:00")
        .unwrap_err();
    assert!(err.contains("supervisor"), "{err}");
    let no_reason = Command::Act {
        task: decide,
        action: TaskAction::Return,
        return_to: None,
        opinion: String::new(),
    };
    assert!(
        w.run(&mut case, &supervisor, no_reason, "2026-03-02T12:00:00")
            .unwrap_err()
            .contains("reason")
    );
    let back = Command::Act {
        task: decide,
        action: TaskAction::Return,
        return_to: None,
        opinion: "经营范围表述不规范".into(),
    };
    w.ok(&mut case, &supervisor, back, "2026-03-02T12:00:00");
    let reopened = case.open_tasks().next().expect("review reopened");
    assert_eq!(reopened.name, "审查");
    let closed = w
        .run(&mut case, &supervisor, approve(decide), "2026-03-02T13:00:00")
        .unwrap_err();
    assert!(closed.contains("already closed"), "{closed}");
}

#[test]
fn a_countersign_needs_every_department_and_one_refusal_refuses() {
    let w = World::new();
    let clerk = actor(Role::Clerk, None);
    let mut ok = w.submit(
        SubjectRef::Item {
            code: code("JOINT-01"),
        },
        &["M-ID"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(&mut ok, &clerk, accept(&[], &[]), "2026-03-02T10:00:00");
    assert_eq!(ok.open_tasks().count(), 2);
    let t = open_task(&ok, "market");
    w.ok(
        &mut ok,
        &actor(Role::Approver, Some("market")),
        approve(t),
        "2026-03-02T11:00:00",
    );
    assert_eq!(ok.status, CaseStatus::InReview);
    let t = open_task(&ok, "fire");
    w.ok(
        &mut ok,
        &actor(Role::Approver, Some("fire")),
        approve(t),
        "2026-03-02T12:00:00",
    );
    assert_eq!(ok.outcome, Some(CaseOutcome::Approved));

    let mut no = w.submit(
        SubjectRef::Item {
            code: code("JOINT-01"),
        },
        &["M-ID"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(&mut no, &clerk, accept(&[], &[]), "2026-03-02T10:00:00");
    let refuse = Command::Act {
        task: open_task(&no, "fire"),
        action: TaskAction::Refuse,
        return_to: None,
        opinion: "消防通道不达标".into(),
    };
    w.ok(
        &mut no,
        &actor(Role::Approver, Some("fire")),
        refuse,
        "2026-03-02T11:00:00",
    );
    assert_eq!(no.outcome, Some(CaseOutcome::Refused));
    assert_eq!(no.decision_reason.as_deref(), Some("消防通道不达标"));
    assert_eq!(
        no.open_tasks().count(),
        0,
        "the other department's task is cancelled"
    );
}

#[test]
fn a_bundle_fans_out_to_every_member_and_is_decided_when_all_are() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Bundle {
            code: code("OPEN-BIZ"),
        },
        &["M-ID"],
        json!({"capital": 5000}),
        "2026-03-02T09:00:00",
    );
    assert_eq!(case.flows.len(), 3);
    assert_eq!(case.title, "企业开办");
    assert_eq!(case.promised_limit, Limit::WorkingDays(3));
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    // 公章刻制 in this fixture goes through review too (bundle members follow their process, not 即办).
    let open: Vec<(usize, &str)> = case
        .open_tasks()
        .map(|t| (t.flow, t.department.as_str()))
        .collect();
    assert!(
        open.contains(&(0, "market")) && open.contains(&(2, "market")) && open.contains(&(2, "fire")),
        "{open:?}"
    );
    let mut guard = 0;
    while case.status == CaseStatus::InReview {
        guard += 1;
        assert!(guard < 20, "the bundle should finish");
        let t = case.open_tasks().next().expect("a task").clone();
        let role = if t.role.as_deref() == Some("supervisor") {
            Role::Supervisor
        } else {
            Role::Approver
        };
        w.ok(
            &mut case,
            &actor(role, Some(t.department.as_str())),
            approve(t.id),
            "2026-03-03T10:00:00",
        );
    }
    assert_eq!(case.outcome, Some(CaseOutcome::Approved));
    assert!(case.flows.iter().all(|f| f.outcome == Some(Outcome::Approved)));
}

#[test]
fn withdrawing_cancels_open_tasks_and_is_refused_after_the_decision() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE", "M-PLAN"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    w.ok(
        &mut case,
        &applicant_user(),
        Command::Withdraw {
            reason: "不再经营".into(),
        },
        "2026-03-02T11:00:00",
    );
    assert_eq!(case.status, CaseStatus::Withdrawn);
    assert_eq!(case.open_tasks().count(), 0);
    let err = w
        .run(
            &mut case,
            &applicant_user(),
            Command::Withdraw {
                reason: String::new(),
            },
            "2026-03-02T12:00:00",
        )
        .unwrap_err();
    assert!(err.contains("only before its decision"), "{err}");
}

#[test]
fn an_extension_and_a_special_procedure_move_the_due_date_later() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({"capital": 5000}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    let due = |c: &Case, now| {
        c.clock()
            .expect("clock")
            .read(&w.calendar, ClockPolicy::default(), at(now))
            .expect("reads")
            .due
    };
    let d0 = due(&case, "2026-03-02T10:00:00");
    let supervisor = actor(Role::Supervisor, Some("market"));
    let wrong_unit = Command::GrantExtension {
        limit: Limit::NaturalDays(5),
        reason: "复杂".into(),
    };
    assert!(
        w.run(&mut case, &supervisor, wrong_unit, "2026-03-03T10:00:00")
            .unwrap_err()
            .contains("same unit")
    );
    let approver = actor(Role::Approver, Some("market"));
    let ext = Command::GrantExtension {
        limit: Limit::WorkingDays(5),
        reason: "需实地核查".into(),
    };
    assert!(
        w.run(&mut case, &approver, ext.clone(), "2026-03-03T10:00:00")
            .unwrap_err()
            .starts_with("denied")
    );
    w.ok(&mut case, &supervisor, ext, "2026-03-03T10:00:00");
    let d1 = due(&case, "2026-03-03T10:00:00");
    assert!(d1 > d0);
    w.ok(
        &mut case,
        &approver,
        Command::StartSpecialProcedure {
            kind: SpecialKind::ExpertReview,
            reason: "专家论证".into(),
        },
        "2026-03-04T10:00:00",
    );
    assert_eq!(
        case.clock_state(&w.calendar, ClockPolicy::default(), at("2026-03-06T10:00:00")),
        Some(ClockState::Paused)
    );
    w.ok(
        &mut case,
        &approver,
        Command::EndSpecialProcedure {
            result: "论证通过".into(),
        },
        "2026-03-10T10:00:00",
    );
    let d2 = due(&case, "2026-03-10T10:00:00");
    assert!(d2 > d1, "{d2:?} > {d1:?}");
}

#[test]
fn a_clock_check_marks_a_late_task_once_and_never_early() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE", "M-PLAN"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    let system = Actor::system();
    let task = open_task(&case, "fire");
    let timers = case.timers(&w.calendar, ClockPolicy::default());
    let overdue_at = timers
        .iter()
        .find(|t| t.target == ClockTarget::Task(task) && t.alarm == Alarm::Overdue)
        .expect("an overdue timer for the task")
        .fire_at;
    assert_eq!(
        overdue_at,
        at("2026-03-06T00:00:00"),
        "3 working days from Monday end with Thursday"
    );
    let check = Command::CheckClock {
        target: ClockTarget::Task(task),
        alarm: Alarm::Overdue,
    };
    assert!(
        w.ok(&mut case, &system, check.clone(), "2026-03-05T23:59:59")
            .is_empty(),
        "never early"
    );
    let fired = w.ok(&mut case, &system, check.clone(), "2026-03-06T00:00:00");
    assert_eq!(fired.len(), 1);
    assert!(case.task(task).expect("task").overdue);
    assert!(
        w.ok(&mut case, &system, check, "2026-03-06T00:00:01").is_empty(),
        "firing twice changes nothing"
    );
    assert!(
        !case
            .timers(&w.calendar, ClockPolicy::default())
            .iter()
            .any(|t| t.target == ClockTarget::Task(task))
    );
    assert!(
        w.run(
            &mut case,
            &applicant_user(),
            Command::CheckClock {
                target: ClockTarget::Case,
                alarm: Alarm::Warning
            },
            "2026-03-06T00:00:00"
        )
        .is_err()
    );
}

// --- Access policy ----------------------------------------------------------------------------------

#[test]
fn the_access_policy_matrix_holds() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item {
            code: code("FOOD-01"),
        },
        &["M-ID", "M-LEASE", "M-PLAN"],
        json!({}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    let fire_task = open_task(&case, "fire");
    let mut stranger = applicant_user();
    stranger.user_id = 999;
    stranger.applicant = Some(ApplicantId::Person {
        id_number: ResidentId::with_check("37010219900307123").expect("id"),
    });
    let who = [
        ("owner", applicant_user()),
        ("stranger", stranger),
        ("clerk", actor(Role::Clerk, None)),
        ("fire approver", actor(Role::Approver, Some("fire"))),
        ("police approver", actor(Role::Approver, Some("police"))),
        ("market supervisor", actor(Role::Supervisor, Some("market"))),
        ("leader", actor(Role::Leader, None)),
        ("admin", actor(Role::Admin, None)),
    ];
    let commands: [(&str, Command); 6] = [
        (
            "view",
            Command::CheckClock {
                target: ClockTarget::Case,
                alarm: Alarm::Warning,
            },
        ),
        ("act on fire task", approve(fire_task)),
        (
            "extend",
            Command::GrantExtension {
                limit: Limit::WorkingDays(1),
                reason: "x".into(),
            },
        ),
        (
            "deliver",
            Command::Deliver {
                delivery: DeliveryMethod::Window,
            },
        ),
        (
            "withdraw",
            Command::Withdraw {
                reason: String::new(),
            },
        ),
        (
            "supply",
            Command::SupplyMaterials {
                materials: vec![code("M-ID")],
                files: Default::default(),
            },
        ),
    ];
    // Rows: actors; columns: the commands above (view uses can_view_case).
    let expected = [
        ("owner", [true, false, false, false, true, true]),
        ("stranger", [false, false, false, false, false, false]),
        // Accepted already: the window no longer withdraws on the applicant's behalf.
        ("clerk", [true, false, false, true, false, true]),
        ("fire approver", [true, true, false, false, false, false]),
        ("police approver", [false, false, false, false, false, false]),
        ("market supervisor", [true, false, true, false, false, false]),
        ("leader", [true, false, false, false, false, false]),
        ("admin", [false, false, false, false, false, false]),
    ];
    for ((name, a), (row, want)) in who.iter().zip(expected) {
        assert_eq!(*name, row);
        for (i, (label, cmd)) in commands.iter().enumerate() {
            let got = if i == 0 {
                policy::can_view_case(a, &case)
            } else {
                policy::authorize_command(a, &case, cmd).is_ok()
            };
            assert_eq!(got, want[i], "{name} / {label}");
        }
    }
    assert!(policy::sees_personal_data(&applicant_user(), &case));
    assert!(!policy::sees_personal_data(&actor(Role::Leader, None), &case));
    assert!(policy::authorize_admin(&actor(Role::Admin, None)).is_ok());
    assert!(policy::authorize_admin(&actor(Role::Clerk, None)).is_err());
    assert!(policy::can_read_inbox(&actor(Role::Approver, Some("fire"))).is_ok());
    assert!(policy::can_read_inbox(&actor(Role::Clerk, None)).is_err());
}

#[test]
fn an_applicant_cannot_apply_in_someone_elses_name() {
    let mut submission = Submission {
        subject: SubjectRef::Item { code: code("REG-01") },
        channel: Channel::Online,
        applicant: Applicant {
            id: ApplicantId::Person {
                id_number: ResidentId::with_check("37010219900307123").expect("id"),
            },
            name: "李四".into(),
            mobile: None,
            user_id: None,
        },
        form: json!({}),
        materials: vec![],
        holder_consent: false,
        project: None,
    };
    assert!(policy::authorize_submission(&applicant_user(), &submission).is_err());
    submission.channel = Channel::Window;
    assert!(policy::authorize_submission(&actor(Role::Clerk, None), &submission).is_ok());
}

// --- Rules ------------------------------------------------------------------------------------------

#[test]
fn rules_compare_numbers_text_and_lists_and_treat_missing_fields_as_null() {
    use onego_domain::rule::Rule;
    let form = json!({"capital": "80", "industry": "餐饮", "area": 120, "chain": true});
    let holds = |r: &str| Rule::parse(r).expect("parses").eval(&form);
    assert!(holds("capital < 100"));
    assert!(holds("industry in [\"餐饮\", \"零售\"] and area >= 120"));
    assert!(holds("not (area > 200) or missing == 1"));
    assert!(holds("chain"));
    assert!(!holds("missing > 0"));
    assert!(holds("missing == null"));
    let err = Rule::parse("area >").unwrap_err().to_string();
    assert!(err.contains("ends too early"), "{err}");
}

#[test]
fn a_department_asks_for_more_time_and_only_a_supervisor_grants_or_denies_it() {
    let w = World::new();
    let mut case = w.submit(
        SubjectRef::Item { code: code("REG-01") },
        &["M-ID"],
        json!({"capital": 5000}),
        "2026-03-02T09:00:00",
    );
    w.ok(
        &mut case,
        &actor(Role::Clerk, None),
        accept(&[], &[]),
        "2026-03-02T10:00:00",
    );
    let approver = actor(Role::Approver, Some("market"));
    let supervisor = actor(Role::Supervisor, Some("market"));
    let ask = Command::RequestExtension {
        limit: Limit::WorkingDays(3),
        reason: "需补充检测".into(),
    };
    w.ok(&mut case, &approver, ask.clone(), "2026-03-03T10:00:00");
    assert!(
        w.run(&mut case, &approver, ask, "2026-03-03T11:00:00")
            .unwrap_err()
            .contains("already waiting")
    );
    let deny = Command::DenyExtension {
        reason: "理由不充分".into(),
    };
    assert!(
        w.run(&mut case, &approver, deny.clone(), "2026-03-03T12:00:00")
            .unwrap_err()
            .starts_with("denied")
    );
    w.ok(&mut case, &supervisor, deny.clone(), "2026-03-03T12:00:00");
    assert!(case.extension_request.is_none());
    assert!(
        w.run(&mut case, &supervisor, deny, "2026-03-03T13:00:00")
            .unwrap_err()
            .contains("no request")
    );
    w.ok(
        &mut case,
        &approver,
        Command::RequestExtension {
            limit: Limit::WorkingDays(2),
            reason: "专家论证".into(),
        },
        "2026-03-04T10:00:00",
    );
    w.ok(
        &mut case,
        &supervisor,
        Command::GrantExtension {
            limit: Limit::WorkingDays(2),
            reason: "同意延期".into(),
        },
        "2026-03-04T11:00:00",
    );
    assert!(case.extension_request.is_none());
    assert_eq!(case.extensions.len(), 1);
}

// --- Tickets (诉求) --------------------------------------------------------------------------------

mod tickets {
    use super::*;
    use onego_domain::ticket::*;

    fn sla_2110() -> SlaProfile {
        SlaProfile {
            code: code("2110"),
            name: "2110".into(),
            response: Limit::NaturalHours(2),
            feedback: Limit::WorkingDays(1),
            solve: Limit::WorkingDays(10),
        }
    }

    fn operator() -> Actor {
        Actor {
            user_id: 50,
            username: "op".into(),
            name: "接线员".into(),
            role: Role::Operator,
            department: None,
            applicant: None,
            mandates: Vec::new(),
        }
    }

    fn dept(d: &str) -> Actor {
        actor(Role::Approver, Some(d))
    }

    fn intake(content: &str) -> Intake {
        Intake {
            channel: TicketChannel::Phone,
            kind: TicketType::Complaint,
            category: Category {
                code: code("CG01"),
                level1: "城市管理".into(),
                level2: "占道经营".into(),
            },
            content: content.into(),
            location: Some(Location {
                lat: 35.23,
                lon: 115.48,
                address: "中华路与人民路口".into(),
            }),
            requester: Requester {
                name: Some("王女士".into()),
                phone: Some(Mobile::parse("13905301234").expect("mobile")),
                user_id: None,
                notify: false,
            },
            urgency: Urgency::Normal,
            attachments: vec![],
            grid: None,
            summoned: vec![],
            attributes: vec![],
        }
    }

    fn run(t: &mut Ticket, who: &Actor, cmd: TicketCommand, now: &str) -> Result<Vec<TicketEntry>, String> {
        run_in(t, who, cmd, now, &[])
    }

    fn run_in(
        t: &mut Ticket,
        who: &Actor,
        cmd: TicketCommand,
        now: &str,
        areas: &[onego_domain::grid::Area],
    ) -> Result<Vec<TicketEntry>, String> {
        let cal = WorkingCalendar::default();
        let hotline = onego_domain::hotline::Hotline {
            categories: vec![onego_domain::hotline::TicketCategory {
                code: code("CG01"),
                level1: "城市管理".into(),
                level2: "占道经营".into(),
                department: code("urban"),
                sla: code("2110"),
                description: String::new(),
                keywords: vec![],
                attributes: vec![],
            }],
            sla: vec![
                sla_2110(),
                SlaProfile {
                    code: code("whistle"),
                    name: "吹哨报到".into(),
                    response: Limit::WorkingHours(2),
                    feedback: Limit::WorkingDays(1),
                    solve: Limit::WorkingDays(5),
                },
            ],
            areas: areas.to_vec(),
        };
        let departments: Vec<Code> = ["urban", "housing", "market", "water", "police", "fire"]
            .into_iter()
            .map(code)
            .collect();
        // A merge names the request by number; here the number is the id, as the engine would find it.
        let merge_target = match &cmd {
            TicketCommand::Merge { into } => into.parse().ok().map(|id| MergeTarget {
                id,
                number: into.clone(),
                status: TicketStatus::Received,
            }),
            _ => None,
        };
        let ctx = TicketContext {
            now: at(now),
            actor: who,
            calendar: &cal,
            policy: ClockPolicy::default(),
            hotline: &hotline,
            departments: &departments,
            merge_target,
        };
        let entries = t.decide(&ctx, &cmd).map_err(|e| e.to_string())?;
        for e in &entries {
            t.apply(e);
        }
        Ok(entries)
    }

    fn new_ticket() -> Ticket {
        Ticket::receive(
            1,
            "T202603020001".into(),
            intake("路口有商贩占道经营，影响通行"),
            &operator(),
            at("2026-03-02T09:00:00"),
        )
        .expect("valid")
        .0
    }

    fn areas() -> Vec<onego_domain::grid::Area> {
        let map = r#"{"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"code": "city", "name": "全市", "level": "region"},
           "geometry": {"type": "Polygon", "coordinates": [[[115, 35], [116, 35], [116, 36], [115, 36], [115, 35]]]}},
          {"type": "Feature", "properties": {"code": "mudan", "name": "牡丹街道", "level": "street", "parent": "city"},
           "geometry": {"type": "Polygon", "coordinates": [[[115.4, 35.2], [115.5, 35.2], [115.5, 35.3], [115.4, 35.3], [115.4, 35.2]]]}},
          {"type": "Feature", "properties": {"code": "zhonghua", "name": "中华社区", "level": "community", "parent": "mudan"},
           "geometry": {"type": "Polygon", "coordinates": [[[115.44, 35.21], [115.48, 35.21], [115.48, 35.25], [115.44, 35.25], [115.44, 35.21]]]}},
          {"type": "Feature", "properties": {"code": "g-001", "name": "中华路第一网格", "level": "grid", "parent": "zhonghua"},
           "geometry": {"type": "Polygon", "coordinates": [[[115.45, 35.22], [115.47, 35.22], [115.47, 35.24], [115.45, 35.24], [115.45, 35.22]]]}}
        ]}"#;
        onego_domain::grid::from_geojson(map).expect("valid map")
    }

    fn grid_event() -> Ticket {
        let mut i = intake("井盖破损，行人容易踩空");
        i.channel = TicketChannel::Grid;
        i.grid = Some(code("g-001"));
        Ticket::receive(
            2,
            "R1".into(),
            i,
            &actor(Role::GridMember, Some("g-001")),
            at("2026-03-02T09:00:00"),
        )
        .expect("valid")
        .0
    }

    #[test]
    fn a_grid_member_resolves_a_small_matter_in_the_grid_and_the_centre_visits_back() {
        let mut t = grid_event();
        assert_eq!(t.holder, Some(code("g-001")), "a grid event starts in its grid");
        let member = actor(Role::GridMember, Some("g-001"));
        assert!(
            onego_domain::policy::authorize_ticket_command(
                &actor(Role::GridMember, Some("g-002")),
                &t,
                &TicketCommand::ResolveInGrid {
                    answer: "已修复".into()
                }
            )
            .is_err(),
            "another grid's member cannot resolve it"
        );
        assert!(
            run(
                &mut t,
                &member,
                TicketCommand::ResolveInGrid { answer: "修".into() },
                "2026-03-02T10:00:00"
            )
            .is_err()
        );
        run(
            &mut t,
            &member,
            TicketCommand::ResolveInGrid {
                answer: "已联系物业更换井盖".into(),
            },
            "2026-03-02T10:00:00",
        )
        .expect("resolved");
        assert_eq!(t.status, TicketStatus::Replied);
        let centre = actor(Role::Dispatcher, None);
        run(
            &mut t,
            &centre,
            TicketCommand::ReturnVisit {
                solved: true,
                satisfaction: 5,
                note: String::new(),
            },
            "2026-03-03T10:00:00",
        )
        .expect("visited");
        assert_eq!(t.status, TicketStatus::Closed);
    }

    #[test]
    fn escalation_climbs_grid_community_street_and_then_reaches_the_centre() {
        let areas = areas();
        let mut t = grid_event();
        let why = || TicketCommand::Escalate {
            reason: "需要城管执法".into(),
        };
        assert!(
            run_in(
                &mut t,
                &actor(Role::GridMember, Some("g-001")),
                TicketCommand::Escalate { reason: " ".into() },
                "2026-03-02T10:00:00",
                &areas
            )
            .is_err(),
            "a reason is required"
        );
        run_in(
            &mut t,
            &actor(Role::GridMember, Some("g-001")),
            why(),
            "2026-03-02T10:00:00",
            &areas,
        )
        .expect("up");
        assert_eq!(t.holder, Some(code("zhonghua")));
        run_in(
            &mut t,
            &actor(Role::GridMember, Some("zhonghua")),
            why(),
            "2026-03-02T11:00:00",
            &areas,
        )
        .expect("up");
        assert_eq!(t.holder, Some(code("mudan")));
        run_in(
            &mut t,
            &actor(Role::GridMember, Some("mudan")),
            why(),
            "2026-03-02T12:00:00",
            &areas,
        )
        .expect("up");
        assert_eq!(
            t.holder, None,
            "above the street is the grid centre, which dispatches"
        );
        assert!(
            run_in(
                &mut t,
                &actor(Role::GridMember, Some("mudan")),
                why(),
                "2026-03-02T12:30:00",
                &areas
            )
            .is_err(),
            "nothing left to escalate"
        );
        run(
            &mut t,
            &actor(Role::Dispatcher, None),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T13:00:00",
        )
        .expect("dispatched");
        assert_eq!(t.status, TicketStatus::Dispatched);
    }

    #[test]
    fn a_whistle_is_answered_only_when_every_summoned_department_reports() {
        let mut i = intake("企业门前道路长期积水，影响货车进出");
        i.channel = TicketChannel::Enterprise;
        i.summoned = vec![code("urban"), code("housing"), code("urban")];
        let mut t = Ticket::receive(
            3,
            "R3".into(),
            i,
            &actor(Role::Applicant, None),
            at("2026-03-02T09:00:00"),
        )
        .expect("valid")
        .0;
        assert_eq!(
            t.summoned,
            vec![code("urban"), code("housing")],
            "named once each"
        );
        run(
            &mut t,
            &Actor::system(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![code("housing")],
                category: None,
                sla: Some(code("whistle")),
                note: String::new(),
            },
            "2026-03-02T09:00:00",
        )
        .expect("dispatched");
        assert!(
            run(
                &mut t,
                &dept("police"),
                TicketCommand::Report,
                "2026-03-02T09:30:00"
            )
            .is_err(),
            "only named departments report"
        );
        run(&mut t, &dept("urban"), TicketCommand::Sign, "2026-03-02T09:30:00").expect("lead signs");
        let cal = WorkingCalendar::default();
        let reading = t
            .read(
                TicketClock::Response,
                &cal,
                ClockPolicy::default(),
                at("2026-03-02T12:00:00"),
            )
            .expect("clock");
        assert_eq!(
            reading.state,
            onego_calendar::ClockState::Overdue,
            "housing has not reported: the whistle is still unanswered"
        );
        run(
            &mut t,
            &dept("housing"),
            TicketCommand::Report,
            "2026-03-02T10:00:00",
        )
        .expect("reports");
        assert!(
            run(
                &mut t,
                &dept("housing"),
                TicketCommand::Report,
                "2026-03-02T10:05:00"
            )
            .is_err(),
            "once"
        );
        let reading = t
            .read(
                TicketClock::Response,
                &cal,
                ClockPolicy::default(),
                at("2026-03-02T12:00:00"),
            )
            .expect("clock");
        assert_ne!(
            reading.state,
            onego_calendar::ClockState::Overdue,
            "all reported within two working hours"
        );
    }

    #[test]
    fn requester_contact_is_seen_by_the_centre_and_the_lead_department_only() {
        let mut t = new_ticket();
        run(
            &mut t,
            &operator(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![code("market")],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T09:10:00",
        )
        .expect("dispatched");
        use onego_domain::policy::{can_view_ticket, sees_requester};
        assert!(sees_requester(&actor(Role::Dispatcher, None), &t));
        assert!(sees_requester(&dept("urban"), &t));
        assert!(
            can_view_ticket(&dept("market"), &t) && !sees_requester(&dept("market"), &t),
            "assisting sees the matter, not the person"
        );
        assert!(!can_view_ticket(&dept("police"), &t));
        assert!(
            can_view_ticket(&actor(Role::Leader, None), &t)
                && !sees_requester(&actor(Role::Leader, None), &t)
        );
        assert!(
            onego_domain::policy::authorize_ticket_command(&dept("market"), &t, &TicketCommand::Sign)
                .is_err(),
            "assisting does not sign for the lead"
        );
    }

    #[test]
    fn a_ticket_runs_the_closed_loop_from_receipt_to_a_satisfied_return_visit() {
        let mut t = new_ticket();
        assert_eq!(t.status, TicketStatus::Received);
        run(
            &mut t,
            &operator(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![code("market")],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T09:10:00",
        )
        .expect("dispatch");
        assert_eq!(t.status, TicketStatus::Dispatched);
        let cal = WorkingCalendar::default();
        let response = t
            .read(
                TicketClock::Response,
                &cal,
                ClockPolicy::default(),
                at("2026-03-02T09:10:00"),
            )
            .expect("clock");
        assert_eq!(
            response.due,
            Some(at("2026-03-02T11:10:00")),
            "on site within 2 hours"
        );
        run(&mut t, &dept("urban"), TicketCommand::Sign, "2026-03-02T09:30:00").expect("sign");
        let feedback = t
            .read(
                TicketClock::Feedback,
                &cal,
                ClockPolicy::default(),
                at("2026-03-02T09:30:00"),
            )
            .expect("clock");
        assert_eq!(
            feedback.due,
            Some(at("2026-03-04T00:00:00")),
            "first feedback within 1 working day"
        );
        run(
            &mut t,
            &dept("urban"),
            TicketCommand::GiveFeedback {
                text: "已安排执法队员到场".into(),
            },
            "2026-03-02T10:30:00",
        )
        .expect("feedback");
        run(
            &mut t,
            &dept("urban"),
            TicketCommand::Reply {
                answer: "已劝离商贩并设置隔离栏".into(),
            },
            "2026-03-03T15:00:00",
        )
        .expect("reply");
        run(
            &mut t,
            &operator(),
            TicketCommand::ReturnVisit {
                solved: true,
                satisfaction: 5,
                note: String::new(),
            },
            "2026-03-04T10:00:00",
        )
        .expect("visit");
        assert_eq!(t.status, TicketStatus::Closed);
        assert_eq!((t.reopens, t.satisfaction), (0, Some(5)));
        assert!(
            t.timers(&cal, ClockPolicy::default()).is_empty(),
            "a closed ticket holds no timers"
        );
    }

    #[test]
    fn a_disputed_ticket_goes_back_to_the_dispatcher_but_not_after_the_deadline() {
        let mut t = new_ticket();
        let dispatch = TicketCommand::Dispatch {
            lead: code("water"),
            assisting: vec![],
            category: None,
            sla: None,
            note: String::new(),
        };
        run(&mut t, &operator(), dispatch.clone(), "2026-03-02T09:10:00").expect("dispatch");
        let err = run(
            &mut t,
            &dept("water"),
            TicketCommand::Return { reason: " ".into() },
            "2026-03-02T09:20:00",
        )
        .unwrap_err();
        assert!(err.contains("退单理由"), "{err}");
        run(
            &mut t,
            &dept("water"),
            TicketCommand::Return {
                reason: "不属于供水管辖".into(),
            },
            "2026-03-02T09:20:00",
        )
        .expect("return");
        assert_eq!((t.status, t.returns), (TicketStatus::Received, 1));
        run(&mut t, &operator(), dispatch, "2026-03-02T09:30:00").expect("reassign");
        let late = run(
            &mut t,
            &dept("urban"),
            TicketCommand::Return {
                reason: "不归我们".into(),
            },
            "2026-03-02T12:00:00",
        )
        .unwrap_err();
        assert!(late.contains("has passed"), "{late}");
    }

    #[test]
    fn an_unsolved_return_visit_reopens_the_ticket_and_raises_supervision() {
        let mut t = new_ticket();
        run(
            &mut t,
            &operator(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T09:10:00",
        )
        .expect("dispatch");
        run(&mut t, &dept("urban"), TicketCommand::Sign, "2026-03-02T09:30:00").expect("sign");
        run(
            &mut t,
            &dept("urban"),
            TicketCommand::Reply {
                answer: "已处理完毕".into(),
            },
            "2026-03-03T15:00:00",
        )
        .expect("reply");
        run(
            &mut t,
            &operator(),
            TicketCommand::ReturnVisit {
                solved: false,
                satisfaction: 2,
                note: "商贩仍在".into(),
            },
            "2026-03-04T10:00:00",
        )
        .expect("visit");
        assert_eq!(
            (t.status, t.reopens, t.supervision),
            (TicketStatus::Handling, 1, Some(SupervisionLevel::Urge))
        );
        run(
            &mut t,
            &operator(),
            TicketCommand::Supervise {
                reason: "重复投诉".into(),
            },
            "2026-03-04T11:00:00",
        )
        .expect("supervise");
        run(
            &mut t,
            &operator(),
            TicketCommand::Supervise {
                reason: "仍未解决".into(),
            },
            "2026-03-05T11:00:00",
        )
        .expect("supervise");
        assert_eq!(t.supervision, Some(SupervisionLevel::Listed));
        assert!(
            run(
                &mut t,
                &operator(),
                TicketCommand::Supervise {
                    reason: String::new()
                },
                "2026-03-06T11:00:00"
            )
            .unwrap_err()
            .contains("挂牌督办")
        );
    }

    #[test]
    fn overdue_clocks_mark_once_never_early_and_bring_supervision() {
        let mut t = new_ticket();
        run(
            &mut t,
            &operator(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T09:10:00",
        )
        .expect("dispatch");
        let check = TicketCommand::CheckClock {
            clock: TicketClock::Response,
            alarm: Alarm::Overdue,
        };
        assert!(
            run(&mut t, &Actor::system(), check.clone(), "2026-03-02T11:09:59")
                .expect("check")
                .is_empty(),
            "never early"
        );
        let fired = run(&mut t, &Actor::system(), check.clone(), "2026-03-02T11:10:00").expect("check");
        assert_eq!(fired.len(), 2, "marked overdue and supervised");
        assert_eq!(t.supervision, Some(SupervisionLevel::Urge));
        assert!(
            run(&mut t, &Actor::system(), check, "2026-03-02T11:20:00")
                .expect("check")
                .is_empty(),
            "twice changes nothing"
        );
    }

    #[test]
    fn more_time_is_asked_before_the_deadline_and_granted_by_the_centre() {
        let mut t = new_ticket();
        run(
            &mut t,
            &operator(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T09:10:00",
        )
        .expect("dispatch");
        run(&mut t, &dept("urban"), TicketCommand::Sign, "2026-03-02T09:30:00").expect("sign");
        let cal = WorkingCalendar::default();
        let before = t
            .read(
                TicketClock::Solve,
                &cal,
                ClockPolicy::default(),
                at("2026-03-03T09:00:00"),
            )
            .expect("clock")
            .due;
        let wrong = TicketCommand::RequestExtension {
            limit: Limit::NaturalDays(3),
            reason: "需协调".into(),
        };
        assert!(
            run(&mut t, &dept("urban"), wrong, "2026-03-03T09:00:00")
                .unwrap_err()
                .contains("unit")
        );
        run(
            &mut t,
            &dept("urban"),
            TicketCommand::RequestExtension {
                limit: Limit::WorkingDays(5),
                reason: "涉及多部门协调".into(),
            },
            "2026-03-03T09:00:00",
        )
        .expect("ask");
        run(
            &mut t,
            &operator(),
            TicketCommand::DecideExtension {
                granted: true,
                reason: String::new(),
            },
            "2026-03-03T10:00:00",
        )
        .expect("grant");
        let after = t
            .read(
                TicketClock::Solve,
                &cal,
                ClockPolicy::default(),
                at("2026-03-03T10:00:00"),
            )
            .expect("clock")
            .due;
        assert!(after > before);
        let mut late = new_ticket();
        run(
            &mut late,
            &operator(),
            TicketCommand::Dispatch {
                lead: code("urban"),
                assisting: vec![],
                category: None,
                sla: None,
                note: String::new(),
            },
            "2026-03-02T09:10:00",
        )
        .expect("dispatch");
        run(
            &mut late,
            &dept("urban"),
            TicketCommand::Sign,
            "2026-03-02T09:30:00",
        )
        .expect("sign");
        let too_late = TicketCommand::RequestExtension {
            limit: Limit::WorkingDays(5),
            reason: "x".into(),
        };
        assert!(
            run(&mut late, &dept("urban"), too_late, "2026-03-20T09:00:00")
                .unwrap_err()
                .contains("before the deadline")
        );
    }

    #[test]
    fn intake_checks_content_category_and_coordinates_and_merging_folds_a_repeat() {
        let mut bad = intake("短");
        assert!(Ticket::receive(2, "x".into(), bad.clone(), &operator(), at("2026-03-02T09:00:00")).is_err());
        bad.content = "噪音扰民严重".into();
        bad.location = Some(Location {
            lat: 135.0,
            lon: 0.0,
            address: String::new(),
        });
        assert!(
            Ticket::receive(2, "x".into(), bad, &operator(), at("2026-03-02T09:00:00"))
                .unwrap_err()
                .to_string()
                .contains("coordinates")
        );
        let mut t = new_ticket();
        assert!(
            run(
                &mut t,
                &operator(),
                TicketCommand::Merge { into: "1".into() },
                "2026-03-02T10:00:00"
            )
            .unwrap_err()
            .contains("itself")
        );
        run(
            &mut t,
            &operator(),
            TicketCommand::Merge { into: "7".into() },
            "2026-03-02T10:00:00",
        )
        .expect("merge");
        assert_eq!((t.status, t.merged_into), (TicketStatus::Merged, Some(7)));
        assert!(
            run(&mut t, &dept("urban"), TicketCommand::Sign, "2026-03-02T10:05:00")
                .unwrap_err()
                .contains("merged")
        );
        let anonymous = Requester {
            name: None,
            phone: None,
            user_id: None,
            notify: false,
        };
        assert!(anonymous.is_anonymous());
    }
}

mod grids {
    use onego_domain::grid::*;

    const MAP: &str = r#"{"type": "FeatureCollection", "features": [
      {"type": "Feature", "properties": {"code": "mudan", "name": "牡丹街道", "level": "street"},
       "geometry": {"type": "Polygon", "coordinates": [[[115.40, 35.20], [115.50, 35.20], [115.50, 35.30], [115.40, 35.30], [115.40, 35.20]]]}},
      {"type": "Feature", "properties": {"code": "g-001", "name": "中华路网格", "level": "grid", "parent": "mudan"},
       "geometry": {"type": "Polygon", "coordinates": [[[115.45, 35.22], [115.47, 35.22], [115.47, 35.24], [115.45, 35.24], [115.45, 35.22]],
                                                        [[115.455, 35.225], [115.46, 35.225], [115.46, 35.23], [115.455, 35.23], [115.455, 35.225]]]}}
    ]}"#;

    #[test]
    fn an_event_lands_in_the_smallest_area_that_contains_it_and_holes_are_outside() {
        let areas = from_geojson(MAP).expect("valid");
        assert_eq!(areas.len(), 2);
        assert_eq!(
            locate(&areas, 115.465, 35.235).map(|a| a.name.as_str()),
            Some("中华路网格")
        );
        assert_eq!(
            locate(&areas, 115.457, 35.227).map(|a| a.name.as_str()),
            Some("牡丹街道"),
            "inside the hole"
        );
        assert_eq!(
            locate(&areas, 115.41, 35.29).map(|a| a.name.as_str()),
            Some("牡丹街道")
        );
        assert!(locate(&areas, 116.0, 35.0).is_none());
    }

    #[test]
    fn bad_geojson_says_which_feature_is_wrong() {
        assert!(
            from_geojson("[]")
                .unwrap_err()
                .to_string()
                .contains("FeatureCollection")
        );
        let bad = MAP.replace("\"level\": \"grid\"", "\"level\": \"block\"");
        assert_eq!(
            from_geojson(&bad).unwrap_err().to_string(),
            "feature 1: level must be region, street, community or grid"
        );
        let open = MAP.replace(
            "[[[115.40, 35.20], [115.50, 35.20], [115.50, 35.30], [115.40, 35.30], [115.40, 35.20]]]",
            "[[[115.40, 35.20], [115.50, 35.20]]]",
        );
        assert!(
            from_geojson(&open)
                .unwrap_err()
                .to_string()
                .starts_with("feature 0: the polygon is malformed")
        );
    }
}

#[test]
fn a_bundle_whose_members_all_allow_auto_approval_and_get_every_material_from_data_is_decided_as_one() {
    let mut world = World::new();
    let from_data = |c: &str| MaterialSpec {
        certificate: Some("11100000000019713D001".into()),
        source: MaterialSource::Government,
        ..material(c, "居民身份证", Necessity::Required)
    };
    let mut a = item(
        "AUTO-A",
        "事项甲",
        "market",
        "review-decide",
        Handling::Promised,
        vec![from_data("M-ID")],
    );
    let mut b = item(
        "AUTO-B",
        "事项乙",
        "fire",
        "review-decide",
        Handling::Promised,
        vec![from_data("M-ID")],
    );
    a.auto_approval = true;
    b.auto_approval = true;
    world.catalog.items.extend([a, b]);
    world.catalog.bundles.push(Bundle {
        code: code("AUTO-AB"),
        version: 1,
        effective_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
        name: "甲乙一件事".into(),
        description: "两个秒批事项".into(),
        members: vec![code("AUTO-A"), code("AUTO-B")],
        lead_department: code("market"),
        promised_limit: Limit::WorkingDays(1),
        result_name: "两项结果".into(),
        form_fields: vec![],
    });
    let applicant = applicant_user();
    let submission = |by_data: bool| Submission {
        subject: SubjectRef::Bundle {
            code: code("AUTO-AB"),
        },
        channel: Channel::Online,
        applicant: Applicant {
            id: ApplicantId::Person { id_number: person() },
            name: "张三".into(),
            mobile: None,
            user_id: Some(100),
        },
        form: json!({"capital": 50, "industry": "软件"}),
        materials: vec![ProvidedMaterial {
            code: code("M-ID"),
            at: at("2026-03-02T09:00:00"),
            file: (!by_data).then(|| FileRef::new(1)),
            certificate: by_data.then(|| UsedCertificate {
                id: 7,
                identifier: "1.2.156.3005.2.x".into(),
                type_name: "居民身份证".into(),
            }),
        }],
        holder_consent: false,
        project: None,
    };
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let items = shared::items_of(
        &world.catalog,
        &SubjectRef::Bundle {
            code: code("AUTO-AB"),
        },
        today,
    );
    assert_eq!(items.len(), 2);
    // A file instead of the data: a person accepts as usual.
    assert!(shared::auto_acceptance(&items, &submission(false)).is_none());
    let accept = shared::auto_acceptance(&items, &submission(true)).expect("秒批");
    let ctx = world.ctx(&applicant, "2026-03-02T09:00:00");
    let (mut case, _) = Case::open(
        &ctx,
        1,
        CaseNumber::parse("37170020260302000001").expect("number"),
        submission(true),
        None,
    )
    .expect("opened");
    let system = Actor::system();
    let more = case
        .decide(&world.ctx(&system, "2026-03-02T09:00:00"), &accept)
        .expect("accepted");
    for e in &more {
        case.apply(e);
    }
    // Both members' rules pass: the bundle is decided as one, at submission.
    assert_eq!(case.status, CaseStatus::Decided);
    assert_eq!(case.outcome, Some(CaseOutcome::Approved));
    assert_eq!(
        more.iter()
            .filter(|e| matches!(e.event, Event::AutoDecided { passed: true, .. }))
            .count(),
        2
    );
    // One member not allowing it: no automatic acceptance for the bundle.
    let mut items = items;
    let mut manual = items[1].clone();
    manual.auto_approval = false;
    items[1] = &manual;
    assert!(shared::auto_acceptance(&items, &submission(true)).is_none());
}
