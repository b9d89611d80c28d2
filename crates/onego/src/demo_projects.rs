//! The demo city's major projects, run through the engine like everything else: 云帆智能制造产业园一期
//! (a city key project of social investment) with its first stage done in the last weeks and the
//! second under way — one procedure in review and late, with its team and ledger —, 云帆冷链物流中心,
//! which reached 拿地即开工 (its permits pre-reviewed, formal on the day of the land), and 云帆研发中心
//! (small and low-risk), just recorded. The enterprise signed an agency agreement (代办协议) with the
//! centre's agent 王帮办 for the industrial park, who applies for its planning permit.

use onego_calendar::{MS_PER_HOUR, Timestamp};
use onego_domain::case::{Applicant, CaseStatus, Channel, Command, ProvidedMaterial, SubjectRef, Submission};
use onego_domain::org::{Actor, Role};
use onego_domain::process::TaskAction;
use onego_domain::project::{Investor, KeyLevel, NewProject, ProjectCommand, ProjectType, Site, Stage};
use onego_domain::values::Code;
use onego_store::engine::Engine;

const DAY: i64 = 24 * MS_PER_HOUR;

fn code(s: &str) -> anyhow::Result<Code> {
    Code::parse(s).map_err(anyhow::Error::msg)
}

/// Applies for a project's procedure as the enterprise (or its agent, `by`), has the window accept it
/// and, with `decide`, every step approve it. Returns the case's status.
async fn procedure(
    engine: &Engine,
    enterprise: &Actor,
    by: Option<&Actor>,
    project: i64,
    item: &str,
    decide: bool,
    at: Timestamp,
) -> anyhow::Result<(CaseStatus, i64)> {
    let catalog = engine.catalog();
    let today = engine.calendar().local_date(at);
    let spec = onego_domain::case::Registry::item(&*catalog, &code(item)?, today)
        .ok_or_else(|| anyhow::anyhow!("the demo catalog has no item {item}"))?
        .clone();
    let materials = spec
        .materials
        .iter()
        .filter(|m| m.necessity != onego_domain::catalog::Necessity::Optional)
        .map(|m| ProvidedMaterial {
            code: m.code.clone(),
            at,
            file: None,
            certificate: None,
        })
        .collect();
    let submission = Submission {
        subject: SubjectRef::Item { code: code(item)? },
        channel: Channel::Online,
        applicant: Applicant {
            id: enterprise
                .applicant
                .clone()
                .ok_or_else(|| anyhow::anyhow!("an enterprise"))?,
            name: enterprise.name.clone(),
            mobile: None,
            user_id: by.is_none().then_some(enterprise.user_id),
        },
        form: serde_json::json!({"description": "重大项目审批事项", "address": "菏泽高新区长江东路南侧"}),
        materials,
        holder_consent: false,
        project: Some(project),
    };
    let mut case = engine
        .open_case(by.unwrap_or(enterprise), submission, None, at)
        .await?
        .state;
    let clerk = crate::demo::actor(&engine.catalog(), Role::Clerk, None, 2);
    let mut t = at.plus_millis(2 * MS_PER_HOUR);
    let accept = Command::Accept {
        received: vec![],
        deferred: vec![],
        opinion: "材料齐全，予以受理".into(),
    };
    case = engine.run_case(&clerk, case.id, &accept, t).await?.state;
    loop {
        let next = case.open_tasks().next().cloned();
        let (true, Some(task)) = (decide, next) else {
            break;
        };
        t = t.plus_millis(DAY);
        let role = if task.role.as_deref() == Some("supervisor") {
            Role::Supervisor
        } else {
            Role::Approver
        };
        let who = crate::demo::actor(&engine.catalog(), role, Some(&task.department), 10);
        let cmd = Command::Act {
            task: task.id,
            action: TaskAction::Approve,
            return_to: None,
            opinion: "经审查，符合条件，同意".into(),
        };
        case = engine.run_case(&who, case.id, &cmd, t).await?.state;
    }
    Ok((case.status, case.id))
}

/// 云会商 and 云勘验 on the planning permit: the planning bureau convenes housing and fire online the
/// next morning, records their opinions, and inspects the site remotely with a photo.
async fn review_demo(engine: &Engine, case_id: i64, applied: Timestamp) -> anyhow::Result<()> {
    use onego_domain::case::{CheckItem, Evidence, EvidenceKind, MeetingOpinion};
    // The planning bureau's demo approver, as their account acts.
    let nature = engine
        .store()
        .users()
        .by_username("nature1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo user nature1 is missing"))?
        .0
        .actor();
    let t = |hours: i64| applied.plus_millis(DAY + hours * MS_PER_HOUR);
    let convene = Command::ConveneMeeting {
        topic: "规划方案联合审查：建筑退让与消防通道".into(),
        departments: vec![code("housing")?, code("fire")?],
        at: t(5),
        link: Some("https://meeting.example.gov.cn/room/418".into()),
    };
    engine.run_case(&nature, case_id, &convene, t(0)).await?;
    let opinion = |d: &str, text: &str| -> anyhow::Result<MeetingOpinion> {
        Ok(MeetingOpinion {
            department: code(d)?,
            agree: true,
            opinion: text.into(),
        })
    };
    let minutes = Command::RecordMeeting {
        meeting: 1,
        minutes: "三方对规划方案进行了线上联合审查，建筑退让满足要求，消防通道宽度按意见调整后同意。".into(),
        opinions: vec![
            opinion("housing", "与施工图审查要求一致，同意")?,
            opinion("fire", "消防通道宽度调整为4米后同意")?,
        ],
    };
    engine.run_case(&nature, case_id, &minutes, t(6)).await?;
    // A 1×1 PNG stands for the inspector's photo (the demo ships no pictures).
    const PHOTO: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00,
        0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05,
        0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42,
        0x60, 0x82,
    ];
    let files = engine
        .store()
        .uploads()
        .store_all(
            nature.user_id,
            vec![(
                "inspection".into(),
                "site.png".into(),
                "image/png",
                PHOTO.to_vec(),
            )],
            t(20).as_millis(),
            onego_store::uploads::DAILY_QUOTA_BYTES,
        )
        .await?;
    let case = engine.case(&nature, case_id).await?;
    let task = case
        .value
        .open_tasks()
        .find(|x| x.department.as_str() == "nature")
        .map(|x| x.id)
        .ok_or_else(|| anyhow::anyhow!("the planning permit has no open task of the planning bureau"))?;
    let inspect = Command::RecordInspection {
        task,
        evidence: vec![Evidence {
            file: onego_domain::values::FileRef::new(files[0]),
            kind: EvidenceKind::Photo,
            captured_at: t(20),
            lat: 35.2512,
            lon: 115.4718,
        }],
        checklist: vec![
            CheckItem {
                item: "用地红线与规划条件一致".into(),
                passed: true,
            },
            CheckItem {
                item: "现场无违法建设".into(),
                passed: true,
            },
        ],
        conclusion: "现场与规划方案一致，具备核发条件".into(),
    };
    engine.run_case(&nature, case_id, &inspect, t(21)).await?;
    Ok(())
}

pub(crate) async fn seed(engine: &Engine, yunfan_user: i64, now: Timestamp) -> anyhow::Result<usize> {
    let company = crate::demo::company_id()?;
    let enterprise = Actor {
        user_id: yunfan_user,
        username: "yunfan".into(),
        name: "菏泽云帆科技有限公司".into(),
        role: Role::Applicant,
        department: None,
        applicant: Some(company.clone()),
        mandates: Vec::new(),
    };
    let steward = crate::demo::actor(&engine.catalog(), Role::Approver, Some(&code("approval")?), 11);
    let investor = Investor {
        id: company,
        name: "菏泽云帆科技有限公司".into(),
    };
    // Nine in the morning, thirty days ago (the steps follow in office hours).
    let calendar = engine.calendar();
    let start = calendar
        .start_of_day(calendar.local_date(Timestamp::from_millis(now.as_millis() - 30 * DAY)))
        .plus_millis(9 * MS_PER_HOUR);
    let park = engine
        .open_project(
            &steward,
            NewProject {
                code: "2026-371700-39-01-000418".into(),
                name: "云帆智能制造产业园一期".into(),
                investor: investor.clone(),
                site: Site {
                    address: "菏泽高新区长江东路南侧".into(),
                    lat: Some(35.251),
                    lon: Some(115.472),
                    grid: None,
                },
                kind: ProjectType::Social,
                investment: 38_000,
                land_parcel: "2026-G-017".into(),
                key_level: KeyLevel::City,
            },
            start,
        )
        .await?
        .state;
    // 帮办代办: the enterprise signed an agency agreement with the centre's agent 王帮办 for this
    // project and for its invoices and housing-fund registration; the agent applies for the planning
    // permit below.
    let agent_user = engine
        .store()
        .users()
        .by_username("agent1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo agent is missing"))?
        .0;
    let from = calendar.local_date(start);
    engine
        .sign_agreement(
            &steward,
            "agent1",
            onego_domain::agency::NewAgreement {
                enterprise: investor.clone(),
                projects: vec![park.id],
                items: vec![code("SW-001")?, code("GJJ-001")?],
                valid_from: from,
                valid_until: from + chrono::Days::new(365),
                file: None,
            },
            start.plus_millis(2 * MS_PER_HOUR),
        )
        .await?;
    let mut agent = agent_user.actor();
    agent.mandates = engine
        .mandates_of(agent_user.id, Role::Agent, start.plus_millis(9 * DAY))
        .await?;
    let go = |stage| ProjectCommand::StartStage {
        stage,
        shortfall_reason: None,
    };
    engine
        .run_project(
            &enterprise,
            park.id,
            &go(Stage::LandPlanning),
            start.plus_millis(DAY),
        )
        .await?;
    procedure(
        engine,
        &enterprise,
        None,
        park.id,
        "SP-002",
        true,
        start.plus_millis(DAY + 3 * MS_PER_HOUR),
    )
    .await?;
    procedure(
        engine,
        &enterprise,
        None,
        park.id,
        "ZRZY-001",
        true,
        start.plus_millis(2 * DAY),
    )
    .await?;
    engine
        .run_project(
            &steward,
            park.id,
            &go(Stage::EngineeringPermit),
            start.plus_millis(8 * DAY),
        )
        .await?;
    let planning = procedure(
        engine,
        &enterprise,
        Some(&agent),
        park.id,
        "ZRZY-002",
        false,
        start.plus_millis(9 * DAY),
    )
    .await?
    .1;
    review_demo(engine, planning, start.plus_millis(9 * DAY)).await?;
    // The team and ledger: the planning permit was due three days ago, so it is late and onego's
    // timer reminds the responsible person, the stewards and the lead leader as soon as the server runs.
    let person = |name: &str,
                  phone: &str,
                  dept: Option<&str>,
                  duty: &str|
     -> anyhow::Result<onego_domain::project::Member> {
        Ok(onego_domain::project::Member {
            name: name.into(),
            phone: Some(onego_domain::values::Mobile::parse(phone).map_err(anyhow::Error::msg)?),
            department: dept.map(code).transpose()?,
            duty: duty.into(),
        })
    };
    let team = onego_domain::project::Team {
        leader: Some(person("刘建国", "13905301001", None, "包保领导")?),
        steward: Some(person(
            "孙晓梅",
            "13905301002",
            Some("approval"),
            "项目管家，全程帮办",
        )?),
        contacts: vec![
            person("周海涛", "13905301003", Some("nature"), "规划许可")?,
            person("吴静", "13905301004", Some("housing"), "施工许可")?,
        ],
    };
    let later = |hours: i64| start.plus_millis(9 * DAY + hours * MS_PER_HOUR);
    engine
        .run_project(&steward, park.id, &ProjectCommand::SetTeam { team }, later(1))
        .await?;
    let planned_end = engine.calendar().local_date(now) - chrono::Days::new(3);
    let assign = ProjectCommand::AssignProcedure {
        item: code("ZRZY-002")?,
        responsible: person("周海涛", "13905301003", Some("nature"), "规划许可")?,
        planned_end,
    };
    engine.run_project(&steward, park.id, &assign, later(2)).await?;
    let visit = ProjectCommand::RecordVisit {
        on: engine.calendar().local_date(start.plus_millis(5 * DAY)),
        people: "孙晓梅、周海涛".into(),
        needs: "希望设计方案审查与规划许可并联推进".into(),
        follow_up: "已协调自然资源和规划局提前介入".into(),
    };
    engine.run_project(&steward, park.id, &visit, later(3)).await?;
    // A problem from the visit, sent on as an enterprise whistle to the power company.
    let raise = ProjectCommand::RaiseProblem {
        title: "施工临时用电尚未接入，影响场地平整".into(),
        owner: person("孙晓梅", "13905301002", Some("approval"), "项目管家")?,
        deadline: engine.calendar().local_date(now) + chrono::Days::new(5),
    };
    engine.run_project(&steward, park.id, &raise, later(4)).await?;
    let whistle = ProjectCommand::WhistleProblem {
        problem: 1,
        departments: vec![code("power")?],
        ticket: None,
    };
    engine.run_project(&steward, park.id, &whistle, later(5)).await?;
    // 拿地即开工: the planning and construction permits pre-reviewed while the land was sold; the land
    // certificate arrives and both become formal the same day — works start on the day of the land.
    let cold = engine
        .open_project(
            &steward,
            NewProject {
                code: "2026-371700-59-01-000233".into(),
                name: "云帆冷链物流中心".into(),
                investor: investor.clone(),
                site: Site {
                    address: "菏泽高新区长江东路南侧 2026-G-017 地块".into(),
                    lat: Some(35.249),
                    lon: Some(115.468),
                    grid: None,
                },
                kind: ProjectType::Social,
                investment: 26_000,
                land_parcel: "2026-G-017".into(),
                key_level: KeyLevel::District,
            },
            start.plus_millis(10 * DAY),
        )
        .await?
        .state;
    procedure(
        engine,
        &enterprise,
        None,
        cold.id,
        "ZRZY-002",
        true,
        start.plus_millis(11 * DAY),
    )
    .await?;
    procedure(
        engine,
        &enterprise,
        None,
        cold.id,
        "ZJ-002",
        true,
        start.plus_millis(12 * DAY),
    )
    .await?;
    let deed = engine
        .store()
        .certificates()
        .of_holder(investor.id.as_str())
        .await?
        .into_iter()
        .find(|c| c.content.type_name.starts_with("不动产权证书"))
        .ok_or_else(|| anyhow::anyhow!("the demo enterprise holds no land certificate"))?;
    engine
        .run_project(
            &steward,
            cold.id,
            &ProjectCommand::AcquireLand {
                certificate: deed.content.identifier,
            },
            now,
        )
        .await?;
    engine
        .open_project(
            &enterprise,
            NewProject {
                code: "2026-371700-65-01-000512".into(),
                name: "云帆研发中心".into(),
                investor,
                site: Site {
                    address: "菏泽高新区人民路88号".into(),
                    lat: None,
                    lon: None,
                    grid: None,
                },
                kind: ProjectType::SmallLowRisk,
                investment: 1_800,
                land_parcel: "自有用地".into(),
                key_level: KeyLevel::None,
            },
            now,
        )
        .await?;
    Ok(3)
}
