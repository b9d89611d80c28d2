//! Builders of the commands tests send most, so a test says what it does rather than how a command is
//! spelled.

use onego_domain::case::{Applicant, Channel, Command, ProvidedMaterial, SubjectRef, Submission, TaskId};
use onego_domain::process::TaskAction;
use onego_domain::ticket::{
    Category, Intake, Location, Requester, TicketChannel, TicketCommand, TicketType, Urgency,
};
use onego_domain::values::Mobile;

use crate::actors::{applicant_id, code, display_name};
use crate::at;

/// The reference item 大型商场开业前消防安全检查 and its required materials.
pub const MALL_ITEM: &str = "SP-001";
pub const MALL_MATERIALS: &[&str] = &["M-APP-MALL", "M-LICENCE", "M-FLOORPLAN"];

/// 张三 applies online for `subject` with these materials (given at 2026-03-02 09:00).
pub fn submission(subject: SubjectRef, materials: &[&str], form: serde_json::Value) -> Submission {
    Submission {
        subject,
        channel: Channel::Online,
        applicant: Applicant {
            id: applicant_id(),
            name: display_name("zhangsan"),
            mobile: Some(Mobile::parse("13812345678").expect("mobile")),
            user_id: Some(100),
        },
        form,
        materials: materials
            .iter()
            .map(|m| ProvidedMaterial {
                code: code(m),
                at: at("2026-03-02T09:00:00"),
                file: None,
                certificate: None,
            })
            .collect(),
        holder_consent: false,
        project: None,
    }
}

/// 张三's application for the mall's fire-safety check, complete.
pub fn mall_submission() -> Submission {
    submission(
        SubjectRef::Item {
            code: code(MALL_ITEM),
        },
        MALL_MATERIALS,
        serde_json::json!({}),
    )
}

/// Acceptance with every material received.
pub fn accept() -> Command {
    Command::Accept {
        received: vec![],
        deferred: vec![],
        opinion: "材料齐全".into(),
    }
}

/// Approves a task.
pub fn approve(task: TaskId) -> Command {
    Command::Act {
        task,
        action: TaskAction::Approve,
        return_to: None,
        opinion: "同意".into(),
    }
}

/// A complaint by phone in a category, at a place in the centre of the test city.
pub fn phone_intake(category: &str, content: &str, lat: f64, lon: f64) -> Intake {
    Intake {
        channel: TicketChannel::Phone,
        kind: TicketType::Complaint,
        category: Category {
            code: code(category),
            level1: String::new(),
            level2: String::new(),
        },
        content: content.into(),
        location: Some(Location {
            lat,
            lon,
            address: "中华路".into(),
        }),
        requester: Requester {
            name: Some("王先生".into()),
            phone: Some(Mobile::parse("13912345678").expect("mobile")),
            user_id: None,
            notify: true,
        },
        urgency: Urgency::Normal,
        attachments: vec![],
        grid: None,
        summoned: vec![],
        attributes: vec![],
    }
}

/// Dispatches a request to a lead department with the category's own time limits.
pub fn dispatch(lead: &str) -> TicketCommand {
    TicketCommand::Dispatch {
        lead: code(lead),
        assisting: vec![],
        category: None,
        sla: None,
        note: String::new(),
    }
}

/// The installation key secret of the tests (keeps the issuing bodies' keys encrypted).
pub fn master_key() -> onego_store::keys::MasterKey {
    onego_store::keys::MasterKey::from_secret("the tests' key secret, thirty-two characters or more").unwrap()
}

/// A food-business licence issued by the market department to 张三 (the applicant), valid to 2031.
pub async fn issue_licence_to_zhangsan(
    engine: &onego_store::engine::Engine,
) -> std::sync::Arc<onego_domain::certificate::Certificate> {
    let issue = onego_store::engine::Issue {
        type_name: "食品经营许可证".into(),
        type_code: "11100000000013338W009".into(),
        number: None,
        holder: crate::applicant_id(),
        holder_name: crate::display_name("zhangsan"),
        department: crate::code("market"),
        issuer_name: "市场监督管理局".into(),
        issuer_code: "11370800MB28559184".into(),
        valid_until: chrono::NaiveDate::from_ymd_opt(2031, 3, 1),
        related: vec![],
        data: serde_json::json!({"经营场所": "牡丹区中华路1号", "主体业态": "餐饮服务经营者"}),
        case_id: None,
    };
    engine
        .issue_certificate(
            &onego_domain::org::Actor::system(),
            issue,
            crate::at("2026-03-02T09:00:00"),
        )
        .await
        .unwrap()
        .state
}

/// A social-investment project of the test enterprise (菏泽蓝天餐饮有限公司), recorded by a steward of
/// the approval bureau; its id.
pub async fn project_of_acme(engine: &onego_store::engine::Engine) -> i64 {
    use onego_domain::project::{Investor, KeyLevel, NewProject, ProjectType, Site};
    let steward = crate::staff(onego_domain::org::Role::Approver, Some("approval"));
    let investor = onego_domain::values::ApplicantId::Organisation {
        uscc: onego_domain::values::Uscc::parse(crate::ENTERPRISE_ID).expect("uscc"),
    };
    engine
        .open_project(
            &steward,
            NewProject {
                code: "2026-371700-47-01-000777".into(),
                name: "蓝天中央厨房建设项目".into(),
                investor: Investor {
                    id: investor,
                    name: "菏泽蓝天餐饮有限公司".into(),
                },
                site: Site {
                    address: "菏泽高新区长江东路南侧".into(),
                    lat: None,
                    lon: None,
                    grid: None,
                },
                kind: ProjectType::Social,
                investment: 12_000,
                land_parcel: "2026-G-017".into(),
                key_level: KeyLevel::City,
            },
            crate::at("2026-03-02T09:00:00"),
        )
        .await
        .expect("project")
        .state
        .id
}

/// An agency agreement of the test enterprise with the test agent (agent1), recorded by the approval
/// bureau (the agency centre): the project given and 发票领用, valid for a year from 2026-03-01; its id.
pub async fn agreement_of_acme(engine: &onego_store::engine::Engine, project: i64) -> i64 {
    let centre = crate::staff(onego_domain::org::Role::Approver, Some("approval"));
    let enterprise = onego_domain::values::ApplicantId::Organisation {
        uscc: onego_domain::values::Uscc::parse(crate::ENTERPRISE_ID).expect("uscc"),
    };
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
    engine
        .sign_agreement(
            &centre,
            "agent1",
            onego_domain::agency::NewAgreement {
                enterprise: onego_domain::project::Investor {
                    id: enterprise,
                    name: "菏泽蓝天餐饮有限公司".into(),
                },
                projects: vec![project],
                items: vec![code("SW-001")],
                valid_from: day("2026-03-01"),
                valid_until: day("2027-02-28"),
                file: None,
            },
            crate::at("2026-03-02T09:00:00"),
        )
        .await
        .expect("agreement")
        .state
        .id
}
