//! The demo city's electronic certificates and shared data records, issued on the engine's path like
//! any other, each of a type from the demo's certificate catalog: for 菏泽云帆科技有限公司 a business
//! licence, a food-business licence, a land-use right and a planning permit; for 张三 a resident ID
//! card, a household register, a property certificate, and his housing-fund and social-insurance
//! records. So "我的证照" and the public check have something to show, 企业开办 and 开办餐饮店 ask
//! for visibly fewer uploads, and 就业创业证 and 公积金租房提取 are decided in seconds (秒批).

use chrono::{Datelike, NaiveDate};
use onego_calendar::Timestamp;
use onego_domain::org::Actor;
use onego_domain::values::ApplicantId;
use onego_store::engine::Engine;

pub(crate) async fn seed(engine: &Engine, now: Timestamp) -> anyhow::Result<usize> {
    let catalog = engine.catalog();
    let today = engine.calendar().local_date(now);
    let company = crate::demo::company_id()?;
    let person = crate::demo::person_id()?;
    let company_name = "菏泽云帆科技有限公司";
    // (type name, holder, holder's name, the printed number if not the serial, business data)
    let wanted: Vec<(&str, &ApplicantId, &str, Option<String>, serde_json::Value)> = vec![
        (
            "营业执照",
            &company,
            company_name,
            Some(company.as_str().to_owned()),
            serde_json::json!({
                "名称": company_name,
                "注册资本": "1000000",
                "住所": "山东省菏泽市牡丹区中华路1号",
                "说明": "有限责任公司（自然人投资或控股）；法定代表人 王明；经营范围 软件开发、信息技术咨询服务、餐饮服务（凭许可证经营）",
            }),
        ),
        (
            "食品经营许可证",
            &company,
            company_name,
            None,
            serde_json::json!({"经营场所": "山东省菏泽市牡丹区中华路1号一层", "经营面积（平方米）": "120", "说明": "餐饮服务经营者（小型餐馆）；热食类食品制售"}),
        ),
        (
            "不动产权证书（国有建设用地使用权）",
            &company,
            company_name,
            None,
            serde_json::json!({"坐落": "菏泽高新区长江东路南侧 2026-G-017 地块", "说明": "工业用地 33,350 平方米，出让"}),
        ),
        (
            "建设工程规划许可证",
            &company,
            company_name,
            None,
            serde_json::json!({"建设位置": "菏泽高新区长江东路南侧", "说明": "云帆智能制造产业园一期，建筑面积 41,200 平方米"}),
        ),
        (
            "居民身份证",
            &person,
            "张三",
            Some(person.as_str().to_owned()),
            serde_json::json!({"说明": "山东省菏泽市牡丹区和平路18号"}),
        ),
        (
            "居民户口簿",
            &person,
            "张三",
            None,
            serde_json::json!({"住址": "山东省菏泽市牡丹区和平路18号", "说明": "户主 张三"}),
        ),
        (
            "不动产权证书（国有建设用地使用权）",
            &person,
            "张三",
            None,
            serde_json::json!({"坐落": "牡丹区和平路18号3单元502室", "说明": "住宅，建筑面积 118.6 平方米"}),
        ),
        (
            "住房公积金缴存证明",
            &person,
            "张三",
            None,
            serde_json::json!({"缴存状态": "正常", "连续缴存月数": "48"}),
        ),
        (
            "社会保险参保缴费记录",
            &person,
            "张三",
            None,
            serde_json::json!({"参保状态": "正常", "累计缴费月数": "60"}),
        ),
    ];
    let n = wanted.len();
    for (type_name, holder, holder_name, number, data) in wanted {
        let t = catalog
            .certificate_types
            .iter()
            .find(|t| t.name == type_name)
            .ok_or_else(|| anyhow::anyhow!("the demo catalog has no certificate type {type_name}"))?;
        let valid_until = t.validity_years.and_then(|y| {
            NaiveDate::from_ymd_opt(today.year() + y as i32, today.month(), today.day().min(28))
        });
        let mut issue = engine.issue_of_type(&t.code, holder.clone(), holder_name, data, valid_until)?;
        issue.number = number;
        engine.issue_certificate(&Actor::system(), issue, now).await?;
    }
    Ok(n)
}
