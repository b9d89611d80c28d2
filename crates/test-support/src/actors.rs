//! The people of the test city: the users every web test logs in as (one per role, with the department
//! each works in), their personal data (which the privacy tests look for in every answer), and actors
//! for calling the engine directly.

use onego_domain::labels::Label;
use onego_domain::org::{Actor, Role};
use onego_domain::values::{ApplicantId, Code, ResidentId};

/// Every test user's password.
pub const PASSWORD: &str = "correct-horse-1";
/// The demo applicant's resident ID: personal data the privacy tests look for.
pub const PERSON_ID: &str = "11010519491231002X";
pub const ENTERPRISE_ID: &str = "91371700MA3C5X1B29";

/// Every role of the test city, with the department each works in.
pub const USERS: &[(&str, Role, Option<&str>)] = &[
    ("zhangsan", Role::Applicant, None),
    ("lisi", Role::Applicant, None),
    ("acme", Role::Applicant, None),
    ("window1", Role::Clerk, None),
    ("approval1", Role::Approver, Some("approval")),
    ("market1", Role::Approver, Some("market")),
    ("fire1", Role::Approver, Some("fire")),
    ("fire-chief", Role::Supervisor, Some("fire")),
    ("housing1", Role::Approver, Some("housing")),
    ("tax1", Role::Approver, Some("tax")),
    ("hrss1", Role::Approver, Some("hrss")),
    ("leader", Role::Leader, None),
    ("admin", Role::Admin, None),
    ("operator1", Role::Operator, None),
    ("dispatcher", Role::Dispatcher, Some("hotline")),
    ("urban1", Role::Approver, Some("urban")),
    ("grid1", Role::GridMember, Some("zhonghua-1")),
    ("agent1", Role::Agent, None),
];

/// The display name of a test user: personal data the privacy tests can find in any answer.
pub fn display_name(username: &str) -> String {
    match username {
        "zhangsan" => "张三丰".into(),
        "lisi" => "李四光".into(),
        "acme" => "菏泽蓝天餐饮有限公司".into(),
        other => format!("{other} 的名字"),
    }
}

pub fn mobile_of(username: &str) -> &'static str {
    match username {
        "zhangsan" => "13812345678",
        "lisi" => "13955551234",
        _ => "13700000000",
    }
}

/// A code that must be valid.
pub fn code(s: &str) -> Code {
    Code::parse(s).unwrap_or_else(|e| panic!("code {s}: {e}"))
}

/// 张三's resident ID as an applicant identity.
pub fn applicant_id() -> ApplicantId {
    ApplicantId::Person {
        id_number: ResidentId::parse(PERSON_ID).expect("id"),
    }
}

/// 张三, the applicant, as the engine sees him (user 100).
pub fn applicant() -> Actor {
    Actor {
        user_id: 100,
        username: "zhangsan".into(),
        name: display_name("zhangsan"),
        role: Role::Applicant,
        department: None,
        applicant: Some(applicant_id()),
        mandates: Vec::new(),
    }
}

/// A member of staff in a role (and department), for calling the engine directly.
pub fn staff(role: Role, dept: Option<&str>) -> Actor {
    Actor {
        user_id: 10 + role as i64,
        username: format!("{}-{}", role.as_str(), dept.unwrap_or("all")),
        name: format!("{}{}", dept.unwrap_or(""), role.zh()),
        role,
        department: dept.map(code),
        applicant: None,
        mandates: Vec::new(),
    }
}
