//! The demo city's past requests: a few thousand tickets over recent months, each run through the real
//! engine (intake, dispatch, sometimes a return and a re-dispatch, sign, feedback, answer, return
//! visit, sometimes a reopen), so routing has dispatches to learn from and the rates are not empty.

use std::sync::Arc;

use onego_calendar::{MS_PER_HOUR, MS_PER_MINUTE, Timestamp};
use onego_domain::labels::Label;
use onego_domain::org::{Actor, Role};
use onego_domain::ticket::{
    Category, Intake, Location, Requester, TicketChannel, TicketCommand, TicketType, Urgency,
};
use onego_domain::values::{Code, Mobile};
use onego_store::engine::Engine;

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
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len() as u64) as usize]
    }
}

const PLACES: &[&str] = &[
    "中华路与人民路交叉口",
    "和平路东段",
    "八一路农贸市场门口",
    "长江路金地小区",
    "西安路万福小区",
    "华英路步行街",
    "丹阳路北段",
    "双河路菏泽学院南门",
    "青年路青年小区",
    "广州路超市门口",
    "黄河路东方红小区",
    "新华路实验小学附近",
];

/// What people say, by category code. `{p}` is a place.
const TEXTS: &[(&str, &[&str])] = &[
    (
        "CG01",
        &[
            "{p}每天早上有流动摊贩占道经营，人行道被堵死，行人只能走机动车道，请城管处理。",
            "{p}有商户把货物摆到店外占道经营，影响通行，多次反映没有改善。",
            "晚上{p}烧烤摊占道摆摊到凌晨，桌椅占满人行道。",
        ],
    ),
    (
        "CG02",
        &[
            "{p}有住户在楼顶私搭乱建，加盖彩钢房，存在安全隐患。",
            "{p}一楼住户违章建筑，把院子扩建成门面房。",
        ],
    ),
    (
        "CG03",
        &[
            "{p}井盖破损缺失，晚上很危险，已经有人踩空。",
            "{p}路灯不亮已经一个多星期，晚上出行不安全。",
            "{p}的井盖松动，车辆经过哐哐响。",
        ],
    ),
    (
        "HB01",
        &[
            "{p}工地夜间施工噪音扰民，晚上十一点以后还在打桩，严重影响休息。",
            "{p}广场舞音响声音太大，噪音扰民，希望管一管。",
            "{p}附近KTV噪音扰民到深夜，孩子无法睡觉。",
        ],
    ),
    (
        "HB02",
        &[
            "{p}饭店油烟直排，没有安装净化设备，楼上住户无法开窗。",
            "{p}露天烧烤油烟很大，烟雾弥漫。",
        ],
    ),
    (
        "SW01",
        &[
            "{p}从昨天晚上开始停水，没有任何通知，请尽快恢复供水。",
            "{p}水压太低，高层住户停水，做饭都成问题。",
            "{p}自来水发黄有异味，担心水质问题。",
        ],
    ),
    (
        "GD01",
        &[
            "{p}突然停电，整栋楼都没电了，冰箱里东西要坏了。",
            "{p}电压不稳经常跳闸停电，空调开不起来。",
        ],
    ),
    (
        "RQ01",
        &[
            "{p}楼道里有很大的燃气味，怀疑燃气泄漏，请马上派人。",
            "{p}停气两天了，没法做饭，燃气公司电话打不通。",
        ],
    ),
    (
        "JT01",
        &[
            "建议在{p}增设公交站点，附近居民坐公交要走很远。",
            "{p}的公交线路班次太少，早高峰等车半小时。",
        ],
    ),
    (
        "JT02",
        &[
            "{p}路面坑洼不平，下雨积水，车辆通行困难。",
            "{p}道路塌陷出现大坑，晚上很危险，请尽快修复。",
        ],
    ),
    (
        "LD01",
        &[
            "我在{p}的工地干活，包工头拖欠工资三个月不给，十几个工友都没拿到钱。",
            "{p}一家公司拖欠员工工资，还不签劳动合同，请劳动监察处理。",
        ],
    ),
    (
        "WY01",
        &[
            "{p}电梯坏了一个月物业不修，老人上下楼很困难。",
            "{p}物业服务差，垃圾不及时清运，物业费却照收。",
            "{p}小区物业擅自涨物业费，没有业主大会同意。",
        ],
    ),
    (
        "SC01",
        &[
            "在{p}一家超市买到过期食品，商家拒绝退换。",
            "{p}小饭馆后厨卫生很差，食品安全有隐患。",
        ],
    ),
    (
        "SC02",
        &[
            "{p}健身房办的预付卡，现在老板跑路了，要求退款。",
            "在{p}买的电器质量有问题，商家不给维修，消费维权。",
        ],
    ),
    (
        "JY01",
        &[
            "孩子今年上小学，户口在{p}，想咨询学区划分和入学需要什么材料。",
            "请问{p}附近的初中招生政策，随迁子女入学怎么办理？",
        ],
    ),
    (
        "YL01",
        &[
            "在{p}附近的医院看病排队时间太长，医生态度不好。",
            "咨询异地就医医保报销的比例和手续，住在{p}。",
        ],
    ),
    (
        "ZA01",
        &[
            "{p}楼上邻居长期往楼下扔垃圾，沟通无果，发生纠纷。",
            "{p}有人深夜聚集喝酒闹事，存在治安隐患。",
        ],
    ),
    (
        "ZW01",
        &[
            "想咨询在{p}开餐馆需要办理哪些手续，营业执照和食品经营许可怎么一起办？",
            "咨询办理公积金提取需要哪些材料，住在{p}。",
        ],
    ),
];

/// Where categories are most often confused: a first dispatch to the wrong department that is
/// returned and sent on.
fn confused(category: &str) -> &'static str {
    match category {
        "CG01" | "CG03" => "transport",
        "JT02" => "urban",
        "HB02" | "HB01" => "urban",
        "WY01" => "urban",
        "SC01" => "health",
        _ => "market",
    }
}

/// A member of staff as the demo's past requests record them, named by their unit's name (an area's or a
/// department's), never its code.
fn staff(engine: &Engine, role: Role, dept: Option<&str>, id: i64) -> Actor {
    let unit = |d: &str| {
        engine
            .hotline()
            .area(d)
            .map(|a| a.name.clone())
            .or_else(|| {
                engine
                    .catalog()
                    .departments
                    .iter()
                    .find(|x| x.code.as_str() == d)
                    .map(|x| x.name.clone())
            })
            .unwrap_or_else(|| d.to_owned())
    };
    Actor {
        user_id: id,
        username: format!("{}-{}", role.as_str(), dept.unwrap_or("all")),
        name: match (role, dept) {
            (Role::Operator, _) => "赵话务".into(),
            (Role::Dispatcher, _) => "孙派单".into(),
            (_, Some(d)) => format!("{}{}", unit(d), role.zh()),
            _ => role.zh().into(),
        },
        role,
        department: dept.and_then(|d| Code::parse(d).ok()),
        applicant: None,
        mandates: Vec::new(),
    }
}

/// Runs `count` past tickets through the engine over the last `days` days before `now`, several at a
/// time (the writer commits them together).
pub(crate) async fn seed_tickets(
    engine: Arc<Engine>,
    now: Timestamp,
    count: usize,
    days: i64,
) -> anyhow::Result<usize> {
    let mut set = tokio::task::JoinSet::new();
    let mut made = 0;
    for n in 0..count {
        let engine = engine.clone();
        set.spawn(async move { one_ticket(&engine, now, n, count, days).await });
        if set.len() >= 16
            && let Some(r) = set.join_next().await
        {
            made += usize::from(r??);
        }
    }
    while let Some(r) = set.join_next().await {
        made += usize::from(r??);
    }
    Ok(made)
}

async fn one_ticket(
    engine: &Engine,
    now: Timestamp,
    n: usize,
    count: usize,
    days: i64,
) -> anyhow::Result<bool> {
    let mut rng = Rng(0x7469_636b_6574 ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let age_ms = ((count - n) as i64 * days * 24 * MS_PER_HOUR) / count as i64;
    // Calls come in from 8:00 to 20:00.
    let mut t = Timestamp::from_millis(now.as_millis() - age_ms);
    let hour_of_day = (t.as_millis() / MS_PER_HOUR + 8) % 24;
    if !(8..20).contains(&hour_of_day) {
        t = Timestamp::from_millis(t.as_millis() + ((32 - hour_of_day) % 24) * MS_PER_HOUR);
    }
    if t >= now {
        return Ok(false);
    }
    let hotline = engine.hotline();
    let (code, texts) = *rng.pick(TEXTS);
    let Some(cat) = hotline.category(code).cloned() else {
        return Ok(false);
    };
    let place = *rng.pick(PLACES);
    let content = rng.pick(texts).replace("{p}", place);
    let operator = staff(engine, Role::Operator, None, 1);
    let dispatcher = staff(engine, Role::Dispatcher, Some("hotline"), 2);
    let grid_event = rng.chance(8);
    let (lat, lon) = (
        35.2 + rng.below(1000) as f64 / 10_000.0,
        115.3 + rng.below(2000) as f64 / 10_000.0,
    );
    let attributes = match code {
        "CG03" => vec![(
            "facility".into(),
            if content.contains("路灯") {
                "streetlight"
            } else {
                "manhole"
            }
            .into(),
        )],
        "HB01" => vec![(
            "source".into(),
            if content.contains("工地") {
                "construction"
            } else {
                "entertainment"
            }
            .into(),
        )],
        "LD01" => vec![("workers".into(), (rng.below(20) + 1).to_string())],
        _ => vec![],
    };
    let intake = Intake {
        channel: if grid_event {
            TicketChannel::Grid
        } else {
            *rng.pick(&[
                TicketChannel::Phone,
                TicketChannel::Phone,
                TicketChannel::Phone,
                TicketChannel::Web,
                TicketChannel::App,
            ])
        },
        kind: match code {
            "JY01" | "ZW01" => TicketType::Enquiry,
            "JT01" => TicketType::Suggestion,
            "RQ01" | "SW01" | "GD01" => TicketType::Help,
            "ZA01" if rng.chance(50) => TicketType::Report,
            _ => TicketType::Complaint,
        },
        category: Category {
            code: cat.code.clone(),
            level1: String::new(),
            level2: String::new(),
        },
        content,
        location: Some(Location {
            lat,
            lon,
            address: format!("菏泽市牡丹区{place}"),
        }),
        requester: if rng.chance(15) {
            Requester {
                name: None,
                phone: None,
                user_id: None,
                notify: false,
            }
        } else {
            Requester {
                name: Some(format!(
                    "{}先生",
                    ['王', '李', '张', '刘', '陈'][rng.below(5) as usize]
                )),
                phone: Mobile::parse(&format!("139{:08}", rng.below(100_000_000))).ok(),
                user_id: None,
                // Demo callers are invented: nobody to text.
                notify: false,
            }
        },
        urgency: if code == "RQ01" {
            Urgency::Emergency
        } else {
            Urgency::Normal
        },
        attachments: vec![],
        grid: None,
        summoned: vec![],
        attributes,
    };
    let by = if grid_event {
        staff(engine, Role::System, None, 0)
    } else {
        operator
    };
    let out = engine.open_ticket(&by, intake, &[], t).await?;
    let id = out.state.id;
    let step = |t: Timestamp, minutes: i64| Timestamp::from_millis(t.as_millis() + minutes * MS_PER_MINUTE);
    let fresh = |t: Timestamp| t >= now;

    // Grid events: most are solved in the grid; the rest climb to the centre.
    if grid_event && let Some(holder) = out.state.holder.clone() {
        let member = staff(engine, Role::GridMember, Some(holder.as_str()), 9);
        t = step(t, 30 + rng.below(120) as i64);
        if fresh(t) {
            return Ok(true);
        }
        if rng.chance(65) {
            engine
                .run_ticket(
                    &member,
                    id,
                    &TicketCommand::ResolveInGrid {
                        answer: "网格员现场处置完毕，已拍照留存。".into(),
                    },
                    t,
                )
                .await?;
            t = step(t, 60 * 24);
            if !fresh(t) {
                let visit = TicketCommand::ReturnVisit {
                    solved: true,
                    satisfaction: 4 + rng.below(2) as u8,
                    note: String::new(),
                };
                engine.run_ticket(&dispatcher, id, &visit, t).await?;
            }
            return Ok(true);
        }
        let mut holder = Some(holder);
        while let Some(h) = holder {
            let up = staff(engine, Role::GridMember, Some(h.as_str()), 9);
            let o = engine
                .run_ticket(
                    &up,
                    id,
                    &TicketCommand::Escalate {
                        reason: "需职能部门处理".into(),
                    },
                    t,
                )
                .await?;
            holder = o.state.holder.clone();
            t = step(t, 20);
        }
    }

    // Dispatch (sometimes first to the wrong department, which returns it).
    t = step(t, 5 + rng.below(60) as i64);
    if fresh(t) {
        return Ok(true);
    }
    let right = cat.department.clone();
    if rng.chance(10) {
        let wrong = Code::parse(confused(code)).map_err(anyhow::Error::msg)?;
        let d = TicketCommand::Dispatch {
            lead: wrong.clone(),
            assisting: vec![],
            category: None,
            sla: None,
            note: String::new(),
        };
        engine.run_ticket(&dispatcher, id, &d, t).await?;
        // Returned quickly: a return after the response limit is refused.
        t = step(t, 5 + rng.below(20) as i64);
        if fresh(t) {
            return Ok(true);
        }
        let reason = TicketCommand::Return {
            reason: "不属于本单位职责，请转相关部门".into(),
        };
        engine
            .run_ticket(
                &staff(engine, Role::Approver, Some(wrong.as_str()), 5),
                id,
                &reason,
                t,
            )
            .await?;
        t = step(t, 10);
    }
    let assisting = if rng.chance(8) && right.as_str() != "urban" {
        vec![Code::parse("urban").map_err(anyhow::Error::msg)?]
    } else {
        vec![]
    };
    let d = TicketCommand::Dispatch {
        lead: right.clone(),
        assisting,
        category: None,
        sla: None,
        note: String::new(),
    };
    engine.run_ticket(&dispatcher, id, &d, t).await?;
    let handler = staff(engine, Role::Approver, Some(right.as_str()), 4);

    // Sign: mostly within the response limit.
    t = step(
        t,
        if rng.chance(90) {
            10 + rng.below(80) as i64
        } else {
            200 + rng.below(600) as i64
        },
    );
    if fresh(t) {
        return Ok(true);
    }
    engine.run_ticket(&handler, id, &TicketCommand::Sign, t).await?;
    t = step(t, 10 + rng.below(40) as i64);
    if fresh(t) {
        return Ok(true);
    }
    engine
        .run_ticket(
            &handler,
            id,
            &TicketCommand::GiveFeedback {
                text: "已联系诉求人，正在现场核实处理。".into(),
            },
            t,
        )
        .await?;

    // Answer: mostly on time.
    // Answer: mostly on time for the category's solve limit.
    let late = rng.chance(12);
    let solve_minutes = match hotline.sla(cat.sla.as_str()).map(|s| s.solve) {
        Some(onego_calendar::Limit::NaturalHours(h)) => i64::from(h) * 60,
        Some(onego_calendar::Limit::WorkingHours(h)) => i64::from(h) * 60,
        _ => 6 * 24 * 60,
    };
    let minutes = if late {
        solve_minutes * 3
    } else {
        solve_minutes / 4 + rng.below((solve_minutes / 2).max(1) as u64) as i64
    };
    t = step(t, minutes);
    if fresh(t) {
        return Ok(true);
    }
    let answer = TicketCommand::Reply {
        answer: "经现场核查，问题已处理完毕，已向诉求人反馈处理结果。".into(),
    };
    engine.run_ticket(&handler, id, &answer, t).await?;

    // Return visit within a day or two; some not solved, reopened and answered again.
    for round in 0..2 {
        t = step(t, 60 * (4 + rng.below(40) as i64));
        if fresh(t) {
            return Ok(true);
        }
        let solved = round == 1 || !rng.chance(9);
        let satisfaction = if !solved {
            1 + rng.below(2) as u8
        } else {
            *rng.pick(&[5u8, 5, 5, 5, 5, 4, 4, 4, 3, 2])
        };
        let visit = TicketCommand::ReturnVisit {
            solved,
            satisfaction,
            note: if solved {
                String::new()
            } else {
                "诉求人表示问题仍未解决".into()
            },
        };
        engine.run_ticket(&dispatcher, id, &visit, t).await?;
        if solved {
            break;
        }
        t = step(t, 60 * 24);
        if fresh(t) {
            return Ok(true);
        }
        engine
            .run_ticket(
                &handler,
                id,
                &TicketCommand::Reply {
                    answer: "再次到现场处理，问题已彻底解决。".into(),
                },
                t,
            )
            .await?;
    }
    Ok(true)
}
