//! The demo city's electronic certificates, issued on the engine's path like any other: a business
//! licence and a food-business licence for 菏泽云帆科技有限公司 (market regulation), and a resident ID
//! card for 张三 (public security), so "我的证照" and the public check have something to show.
//!
//! The 证照类型代码 are the demo's: the defining body's code of the national certificate catalog
//! followed by three digits, as GB/T 36904 shapes them; a city uses the codes of its certificate catalog.

use chrono::{Datelike, NaiveDate};
use onego_calendar::Timestamp;
use onego_domain::org::Actor;
use onego_domain::values::Code;
use onego_store::engine::{Engine, Issue};
use onego_store::keys::MasterKey;

pub(crate) async fn seed(engine: &Engine, master: &MasterKey, now: Timestamp) -> anyhow::Result<usize> {
    let catalog = engine.catalog();
    let issuer = |dept: &str| -> anyhow::Result<(Code, String, String)> {
        let code = Code::parse(dept).map_err(anyhow::Error::msg)?;
        let d = catalog
            .department(&code)
            .ok_or_else(|| anyhow::anyhow!("the demo catalog has no department {dept}"))?;
        // The issuing body's 统一社会信用代码, or the region's code for a body without one here.
        let id_code = d
            .uscc
            .as_ref()
            .map_or_else(|| "371700".to_owned(), ToString::to_string);
        Ok((code, d.name.clone(), id_code))
    };
    let today = engine.calendar().local_date(now);
    let years = |n: i32| NaiveDate::from_ymd_opt(today.year() + n, today.month(), today.day().min(28));
    let company = crate::demo::company_id()?;
    let person = crate::demo::person_id()?;
    let company_name = "菏泽云帆科技有限公司";
    let mut issues = Vec::new();
    let (market, market_name, market_code) = issuer("market")?;
    issues.push(Issue {
        type_name: "营业执照".into(),
        type_code: "11100000000013338W011".into(),
        number: Some(company.as_str().to_owned()),
        holder: company.clone(),
        holder_name: company_name.into(),
        department: market.clone(),
        issuer_name: market_name.clone(),
        issuer_code: market_code.clone(),
        valid_until: None,
        related: vec![],
        data: serde_json::json!({
            "类型": "有限责任公司（自然人投资或控股）",
            "法定代表人": "王明",
            "注册资本": "壹佰万元整",
            "住所": "山东省菏泽市牡丹区中华路1号",
            "经营范围": "软件开发；信息技术咨询服务；餐饮服务（凭许可证经营）",
        }),
        case_id: None,
    });
    issues.push(Issue {
        type_name: "食品经营许可证".into(),
        type_code: "11100000000013338W009".into(),
        number: None,
        holder: company,
        holder_name: company_name.into(),
        department: market,
        issuer_name: market_name,
        issuer_code: market_code,
        valid_until: years(5),
        related: vec![],
        data: serde_json::json!({
            "经营场所": "山东省菏泽市牡丹区中华路1号一层",
            "主体业态": "餐饮服务经营者（小型餐馆）",
            "经营项目": "热食类食品制售",
        }),
        case_id: None,
    });
    let (police, police_name, police_code) = issuer("police")?;
    issues.push(Issue {
        type_name: "居民身份证".into(),
        type_code: "11100000000019713D001".into(),
        number: Some(person.as_str().to_owned()),
        holder: person,
        holder_name: "张三".into(),
        department: police,
        issuer_name: police_name,
        issuer_code: police_code,
        valid_until: years(10),
        related: vec![],
        data: serde_json::json!({"性别": "男", "民族": "汉", "住址": "山东省菏泽市牡丹区和平路18号"}),
        case_id: None,
    });
    let n = issues.len();
    for issue in issues {
        engine
            .issue_certificate(&Actor::system(), issue, master, now)
            .await?;
    }
    Ok(n)
}
