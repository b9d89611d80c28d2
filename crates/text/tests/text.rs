//! Segmentation and routing suggestions.

use onego_text::{Router, Segmenter};

#[test]
fn segmentation_keeps_meaningful_words_and_drops_stopwords_and_punctuation() {
    let s = Segmenter::default();
    let words = s.words("市民来电反映：中华路路口有商贩占道经营，希望尽快处理！");
    assert!(
        words.contains(&"占道".to_owned()) || words.contains(&"占道经营".to_owned()),
        "{words:?}"
    );
    assert!(words.iter().any(|w| w.contains("商贩")), "{words:?}");
    assert!(
        !words
            .iter()
            .any(|w| w == "希望" || w == "反映" || w == "，" || w == "！"),
        "{words:?}"
    );
}

fn train(router: &mut Router, seg: &Segmenter, examples: &[(&str, &str)]) {
    for (text, label) in examples {
        router.learn(&seg.words(text), label, 1.0);
    }
}

const EXAMPLES: &[(&str, &str)] = &[
    ("小区停水三天了没有通知", "供水/water"),
    ("自来水水压太低楼上没水", "供水/water"),
    ("水管爆裂路面冒水", "供水/water"),
    ("晚上工地施工噪音扰民", "噪音/environment"),
    ("广场舞音响太吵影响休息", "噪音/environment"),
    ("饭店油烟排放污染空气", "污染/environment"),
    ("路边商贩占道经营堵塞交通", "占道/urban"),
    ("人行道被小摊贩占用", "占道/urban"),
    ("垃圾桶满了没人清运", "环卫/urban"),
    ("道路积水下水道堵塞", "排水/urban"),
];

#[test]
fn a_router_learned_from_dispatches_suggests_the_department_with_its_reasons() {
    let seg = Segmenter::default();
    let mut router = Router::default();
    train(&mut router, &seg, EXAMPLES);
    let s = router.suggest(&seg.words("我家停水了，水龙头一滴水都没有"), 3);
    assert_eq!(s[0].label, "供水/water", "{s:?}");
    assert!(s[0].confidence > s[1].confidence);
    assert!(
        s[0].words.iter().any(|w| w.contains("停水")),
        "the words that led to it: {:?}",
        s[0].words
    );
    let total: f64 = router
        .suggest(&seg.words("施工噪音"), 10)
        .iter()
        .map(|x| x.confidence)
        .sum();
    assert!(
        (total - 1.0).abs() < 0.01,
        "confidences are a distribution: {total}"
    );
}

#[test]
fn an_override_teaches_the_router_a_new_meaning() {
    let seg = Segmenter::default();
    let mut router = Router::default();
    train(&mut router, &seg, EXAMPLES);
    let text = "共享单车乱停乱放堵住小区门口";
    let before = router.suggest(&seg.words(text), 1)[0].label.clone();
    assert_ne!(before, "交通/traffic");
    // The dispatcher overrides twice; overrides count triple.
    router.learn(&seg.words(text), "交通/traffic", 3.0);
    router.learn(&seg.words("电动车乱停乱放"), "交通/traffic", 3.0);
    assert_eq!(
        router.suggest(&seg.words("单车乱停放"), 1)[0].label,
        "交通/traffic"
    );
    assert!(
        Router::default().suggest(&seg.words(text), 3).is_empty(),
        "an untrained router suggests nothing"
    );
}
