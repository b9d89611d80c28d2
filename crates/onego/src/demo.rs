//! `serve --demo`: a realistic city. The catalog comes from `crates/store/demo/`; here we add one user
//! per role (and an approver and a supervisor for every department), and a few hundred past cases run
//! through the real engine with past timestamps, so the inbox, the clocks and the statistics have
//! something to show.

use anyhow::Context;
use onego_calendar::{MS_PER_HOUR, MS_PER_MINUTE, Timestamp};
use onego_domain::case::{
    Applicant, CaseStatus, Channel, Command, DeliveryMethod, MissingMaterial, ProvidedMaterial, SubjectRef,
    Submission,
};
use onego_domain::catalog::{Catalog, Necessity};
use onego_domain::labels::Label;
use onego_domain::org::{Actor, Role};
use onego_domain::process::TaskAction;
use onego_domain::values::{ApplicantId, Code, Mobile, ResidentId, Uscc};
use onego_store::Store;
use onego_store::engine::Engine;
use onego_store::users::NewUser;

/// A small deterministic generator, so every demo city is the same city.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭',
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平",
    "刚",
];
const COMPANIES: &[&str] = &[
    "鲁西新区博瀚制药有限公司",
    "菏泽润泽健康科技有限公司",
    "牡丹区依能饮品有限公司",
    "菏泽云帆科技有限公司",
    "定陶区鑫源商贸有限公司",
];

pub(crate) struct DemoUser {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
}

pub(crate) fn demo_users(catalog: &Catalog) -> Vec<DemoUser> {
    let mut out = vec![
        DemoUser {
            username: "zhangsan".into(),
            name: "张三".into(),
            role: Role::Applicant,
            department: None,
        },
        DemoUser {
            username: "yunfan".into(),
            name: "菏泽云帆科技有限公司".into(),
            role: Role::Applicant,
            department: None,
        },
        DemoUser {
            username: "window1".into(),
            name: "李晓窗".into(),
            role: Role::Clerk,
            department: None,
        },
        DemoUser {
            username: "leader".into(),
            name: "王局长".into(),
            role: Role::Leader,
            department: None,
        },
        DemoUser {
            username: "admin".into(),
            name: "系统管理员".into(),
            role: Role::Admin,
            department: None,
        },
    ];
    out.push(DemoUser {
        username: "operator1".into(),
        name: "赵话务".into(),
        role: Role::Operator,
        department: None,
    });
    out.push(DemoUser {
        username: "open311".into(),
        name: "Open311 接入（城市App）".into(),
        role: Role::Operator,
        department: None,
    });
    out.push(DemoUser {
        username: "agent1".into(),
        name: "王帮办".into(),
        role: Role::Agent,
        department: None,
    });
    out.push(DemoUser {
        username: "dispatcher".into(),
        name: "孙派单".into(),
        role: Role::Dispatcher,
        department: Some("hotline".into()),
    });
    for (username, name, area) in [
        ("grid1", "周网格", "zhonghua-1"),
        ("community1", "中华社区吴主任", "zhonghua"),
        ("street1", "牡丹街道郑主任", "mudan"),
    ] {
        out.push(DemoUser {
            username: username.into(),
            name: name.into(),
            role: Role::GridMember,
            department: Some(area.into()),
        });
    }
    for d in catalog
        .departments
        .iter()
        .filter(|d| d.code.as_str() != "hotline")
    {
        out.push(DemoUser {
            username: format!("{}1", d.code),
            name: format!("{}审批员", d.name),
            role: Role::Approver,
            department: Some(d.code.to_string()),
        });
        out.push(DemoUser {
            username: format!("{}-chief", d.code),
            name: format!("{}科长", d.name),
            role: Role::Supervisor,
            department: Some(d.code.to_string()),
        });
    }
    out
}

pub(crate) fn person_id() -> anyhow::Result<ApplicantId> {
    Ok(ApplicantId::Person {
        id_number: ResidentId::parse("371702198805160020").map_err(anyhow::Error::msg)?,
    })
}

pub(crate) fn company_id() -> anyhow::Result<ApplicantId> {
    let uscc = Uscc::with_check("91371700MA3C5X1B2").ok_or_else(|| anyhow::anyhow!("demo USCC"))?;
    Ok(ApplicantId::Organisation { uscc })
}

/// Creates the demo users that are missing and sets every demo user's password to `password`.
/// Creates the demo users that are missing and gives every one of them `password`.
pub(crate) async fn ensure_users(
    store: &Store,
    catalog: &Catalog,
    password: &str,
) -> anyhow::Result<Vec<DemoUser>> {
    let list = demo_users(catalog);
    let mut new = Vec::with_capacity(list.len());
    for u in &list {
        let applicant = match (u.role, u.username.as_str()) {
            (Role::Applicant, "zhangsan") => Some(person_id()?),
            (Role::Applicant, _) => Some(company_id()?),
            _ => None,
        };
        new.push(NewUser {
            username: u.username.clone(),
            name: u.name.clone(),
            role: u.role,
            department: u
                .department
                .as_deref()
                .map(Code::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?,
            applicant,
            mobile: (u.role == Role::Applicant).then(|| "13905301234".to_owned()),
            // Demo addresses at example.com (reserved, RFC 2606): a demo run with --smtp never reaches
            // a real person.
            email: Some(format!("{}@example.com", u.username)),
            by_email: true,
            by_sms: u.role == Role::Applicant,
            password: password.to_owned(),
        });
    }
    store.demo().ensure_users(new, password.to_owned()).await?;
    Ok(list)
}

/// A member of staff as the demo's past cases record them, named by their department's name, never its
/// code.
pub(crate) fn actor(catalog: &Catalog, role: Role, dept: Option<&Code>, id: i64) -> Actor {
    let unit = |d: &Code| {
        catalog
            .department(d)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| d.to_string())
    };
    Actor {
        user_id: id,
        username: format!("{}-{}", role.as_str(), dept.map(Code::as_str).unwrap_or("all")),
        name: match (role, dept) {
            (Role::Clerk, _) => "李晓窗".into(),
            (_, Some(d)) => format!("{}{}", unit(d), role.zh()),
            _ => role.zh().into(),
        },
        role,
        department: dept.cloned(),
        applicant: None,
        mandates: Vec::new(),
    }
}

/// Runs `count` past cases through the engine, spread over the last `days` days before `now`.
pub(crate) async fn seed_cases(
    engine: &Engine,
    now: Timestamp,
    count: usize,
    days: i64,
    zhangsan: i64,
) -> anyhow::Result<usize> {
    let catalog = engine.catalog();
    let today = engine.calendar().local_date(now);
    let items = catalog.items_on(today);
    let bundles = catalog.bundles_on(today);
    let mut rng = Rng(0x6f6e_6567_6f21);
    let clerk = actor(&catalog, Role::Clerk, None, 3);
    let mut made = 0;
    for n in 0..count {
        // Oldest first, so the journal reads in time order.
        let age_ms = ((count - n) as i64 * days * 24 * MS_PER_HOUR) / count as i64;
        let mut t = Timestamp::from_millis(now.as_millis() - age_ms);
        // Office hours of a working day.
        let mut date = engine.calendar().local_date(t);
        while !engine.calendar().is_working_day(date) {
            date = date.pred_opt().context("date")?;
        }
        t = engine
            .calendar()
            .start_of_day(date)
            .plus_millis(9 * MS_PER_HOUR + rng.below(8 * 60) as i64 * MS_PER_MINUTE);
        if t >= now {
            break;
        }
        let use_bundle = rng.chance(20);
        let (subject, member_items) = if use_bundle {
            let b = bundles[rng.below(bundles.len() as u64) as usize];
            let members: Vec<_> = b
                .members
                .iter()
                .filter_map(|m| items.iter().find(|i| &i.impl_code == m).copied())
                .collect();
            (SubjectRef::Bundle { code: b.code.clone() }, members)
        } else {
            let i = items[rng.below(items.len() as u64) as usize];
            (
                SubjectRef::Item {
                    code: i.impl_code.clone(),
                },
                vec![i],
            )
        };
        let mut needed: Vec<(Code, String)> = Vec::new();
        for i in &member_items {
            for m in &i.materials {
                if m.necessity != Necessity::Optional && !needed.iter().any(|(c, _)| c == &m.code) {
                    needed.push((m.code.clone(), m.name.clone()));
                }
            }
        }
        // Online every required material comes with the application; at the window a clerk may
        // register it with one missing and send a 补正 notice for it.
        let window = rng.chance(45);
        let supplement_round = window && rng.chance(25) && needed.len() > 1;
        let given: Vec<ProvidedMaterial> = needed
            .iter()
            .skip(usize::from(supplement_round))
            .map(|(c, _)| ProvidedMaterial {
                code: c.clone(),
                at: t,
                file: None,
                certificate: None,
            })
            .collect();
        // An item whose certificate only a person holds (an ID card, a household register) is applied
        // for by a person.
        let catalog = engine.catalog();
        let person_only = member_items.iter().any(|i| {
            i.certificate_type
                .as_deref()
                .and_then(|t| catalog.certificate_type(t))
                .is_some_and(|t| t.holder == onego_domain::certificate::HolderKind::Person)
        });
        let (applicant, applicant_actor) = demo_applicant(&mut rng, n, zhangsan, person_only)?;
        let form = serde_json::json!({
            "registered_capital": 100_000 * (1 + rng.below(30)),
            "business_scope_standard": rng.chance(70),
            "floor_area": 40 + rng.below(400),
            "company_name": COMPANIES[rng.below(COMPANIES.len() as u64) as usize],
        });
        let submission = Submission {
            subject,
            channel: if window { Channel::Window } else { Channel::Online },
            applicant,
            form,
            materials: given,
            holder_consent: false,
            project: None,
        };
        let submitter = if window { &clerk } else { &applicant_actor };
        let case = engine.open_case(submitter, submission, None, t).await?.state;
        let id = case.id;
        made += 1;
        t = t.plus_millis((1 + rng.below(5) as i64) * MS_PER_HOUR);
        if t >= now {
            continue;
        }
        if rng.chance(4) {
            let reason = "申请事项不属于本机关职权范围，请向县级主管部门申请".to_owned();
            engine
                .run_case(&clerk, id, &Command::RefuseAcceptance { reason }, t)
                .await?;
            continue;
        }
        if supplement_round {
            let (code, name) = needed[0].clone();
            let missing = vec![MissingMaterial {
                code: code.clone(),
                name,
                reason: "未提交".into(),
            }];
            let notice = Command::RequestSupplement {
                missing,
                note: "请一次性补齐以下材料".into(),
            };
            engine.run_case(&clerk, id, &notice, t).await?;
            t = t.plus_millis((4 + rng.below(60) as i64) * MS_PER_HOUR);
            if t >= now {
                continue;
            }
            let supply = Command::SupplyMaterials {
                materials: vec![code],
                files: Default::default(),
            };
            engine.run_case(&clerk, id, &supply, t).await?;
        }
        let accept = Command::Accept {
            received: vec![],
            deferred: vec![],
            opinion: "材料齐全，予以受理".into(),
        };
        let mut case = engine.run_case(&clerk, id, &accept, t).await?.state;
        let slow = rng.chance(12);
        let mut guard = 0;
        while case.status == CaseStatus::InReview && guard < 30 {
            guard += 1;
            if rng.chance(3) && guard == 1 {
                let withdraw = Command::Withdraw {
                    reason: "经营计划调整，申请撤回".into(),
                };
                let owner = &applicant_actor;
                case = engine.run_case(owner, id, &withdraw, t).await?.state;
                break;
            }
            let Some(task) = case.open_tasks().next().cloned() else {
                break;
            };
            let hours = if slow {
                20 + rng.below(90)
            } else {
                1 + rng.below(22)
            };
            t = t.plus_millis(hours as i64 * MS_PER_HOUR);
            if t >= now {
                break;
            }
            let role = if task.role.as_deref() == Some("supervisor") {
                Role::Supervisor
            } else {
                Role::Approver
            };
            let who = actor(&catalog, role, Some(&task.department), 10);
            let refuse = rng.chance(5);
            let cmd = Command::Act {
                task: task.id,
                action: if refuse {
                    TaskAction::Refuse
                } else {
                    TaskAction::Approve
                },
                return_to: None,
                opinion: if refuse {
                    "经审查，不符合法定条件".into()
                } else {
                    "经审查，符合条件，同意".into()
                },
            };
            case = engine.run_case(&who, id, &cmd, t).await?.state;
        }
        if case.status == CaseStatus::Decided {
            t = t.plus_millis((1 + rng.below(30)) as i64 * MS_PER_HOUR);
            if t >= now {
                continue;
            }
            let delivery = match rng.below(3) {
                0 => DeliveryMethod::Window,
                1 => DeliveryMethod::Mail {
                    tracking_number: format!("SF{:010}", rng.below(10_000_000_000)),
                },
                _ => DeliveryMethod::Electronic,
            };
            engine
                .run_case(&clerk, id, &Command::Deliver { delivery }, t)
                .await?;
            if !window && rng.chance(75) {
                let level = match rng.below(100) {
                    0..=69 => 5,
                    70..=89 => 4,
                    90..=95 => 3,
                    96..=97 => 2,
                    _ => 1,
                };
                let comment = match level {
                    5 => "办理很快，窗口人员服务热情",
                    4 => "整体满意",
                    3 => "还可以",
                    _ => "等待时间较长，希望改进",
                };
                let rate = Command::Rate {
                    level,
                    comment: comment.into(),
                };
                engine
                    .run_case(&applicant_actor, id, &rate, t.plus_millis(MS_PER_HOUR))
                    .await?;
            }
        }
    }
    Ok(made)
}

fn demo_applicant(
    rng: &mut Rng,
    n: usize,
    zhangsan: i64,
    person_only: bool,
) -> anyhow::Result<(Applicant, Actor)> {
    // Every fifth case is the demo user 张三's, so "my cases" has history.
    let (id, name, user_id) = if n.is_multiple_of(5) {
        (person_id()?, "张三".to_owned(), Some(zhangsan))
    } else if rng.chance(30) && !person_only {
        let c = COMPANIES[rng.below(COMPANIES.len() as u64) as usize];
        let body = format!("9137170{}MA{:07}", rng.below(10), rng.below(10_000_000));
        let uscc = Uscc::with_check(&body[..17]).ok_or_else(|| anyhow::anyhow!("generated USCC"))?;
        (ApplicantId::Organisation { uscc }, c.to_owned(), None)
    } else {
        let year = 1960 + rng.below(45);
        let first17 = format!(
            "3717{:02}{year}{:02}{:02}{:03}",
            2 + rng.below(20),
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(1000)
        );
        let id_number =
            ResidentId::with_check(&first17).ok_or_else(|| anyhow::anyhow!("generated ID {first17}"))?;
        let name = format!(
            "{}{}",
            SURNAMES[rng.below(SURNAMES.len() as u64) as usize],
            GIVEN[rng.below(GIVEN.len() as u64) as usize]
        );
        (ApplicantId::Person { id_number }, name, None)
    };
    let mobile = Mobile::parse(&format!("13{}{:08}", 5 + rng.below(5), rng.below(100_000_000))).ok();
    let actor = Actor {
        user_id: user_id.unwrap_or(0),
        username: "demo-applicant".into(),
        name: name.clone(),
        role: Role::Applicant,
        department: None,
        applicant: Some(id.clone()),
        mandates: Vec::new(),
    };
    Ok((
        Applicant {
            id,
            name,
            mobile,
            user_id,
        },
        actor,
    ))
}
