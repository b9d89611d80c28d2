//! Chinese text for onego: word segmentation (jieba, its dictionary built in) and routing suggestions —
//! a multinomial naive Bayes classifier learned from past dispatches, which says how sure it is and which
//! words led it there, and learns from every override a dispatcher makes.

use std::collections::HashMap;

use jieba_rs::Jieba;
use serde::Serialize;

/// Words that say nothing about where a request belongs.
const STOPWORDS: &[&str] = &[
    "我们",
    "你们",
    "他们",
    "这个",
    "那个",
    "一个",
    "没有",
    "还是",
    "已经",
    "现在",
    "希望",
    "反映",
    "市民",
    "来电",
    "请求",
    "问题",
    "情况",
    "相关",
    "部门",
    "处理",
    "解决",
    "尽快",
    "非常",
    "严重",
    "附近",
    "小区",
    "一下",
    "什么",
    "怎么",
    "为什么",
    "可以",
    "能否",
    "是否",
    "进行",
    "目前",
    "一直",
    "每天",
    "表示",
    "称",
    "说",
];

/// Segments Chinese text into the words routing learns from.
pub struct Segmenter {
    jieba: Jieba,
}

/// Governance words jieba's general dictionary splits; kept whole they route better.
const DOMAIN_WORDS: &[&str] = &[
    "占道经营",
    "噪音扰民",
    "乱停乱放",
    "乱搭乱建",
    "违章建筑",
    "私搭乱建",
    "停水",
    "停电",
    "停气",
    "油烟",
    "渣土车",
    "井盖",
    "路灯",
    "下水道",
    "积水",
    "欠薪",
    "拖欠工资",
    "物业费",
    "共享单车",
    "电动车",
    "网格员",
    "营业执照",
];

impl Default for Segmenter {
    fn default() -> Self {
        let mut jieba = Jieba::new();
        for w in DOMAIN_WORDS {
            jieba.add_word(w, Some(50_000), None);
        }
        Segmenter { jieba }
    }
}

impl Segmenter {
    /// Words of two or more characters (or ASCII words), lower-cased, without stop-words or punctuation.
    pub fn words(&self, text: &str) -> Vec<String> {
        self.jieba
            .cut(text, true)
            .into_iter()
            .map(|t| t.word.trim().to_lowercase())
            .filter(|w| {
                let chars = w.chars().count();
                let ascii_word = w.chars().all(|c| c.is_ascii_alphanumeric()) && chars >= 2;
                let cjk_word = chars >= 2 && w.chars().all(|c| c.is_alphanumeric());
                (ascii_word || cjk_word)
                    && !STOPWORDS.contains(&w.as_str())
                    && !w.chars().all(|c| c.is_ascii_digit())
            })
            .collect()
    }
}

/// A suggestion: a label (for onego, "category/department"), how sure, and the words that led to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub label: String,
    /// Posterior probability among the labels, 0–1.
    pub confidence: f64,
    pub words: Vec<String>,
}

/// A label, its log score, and each known word's weight for it.
type Scored<'a> = (&'a String, f64, Vec<(String, f64)>);

/// Multinomial naive Bayes over words with Laplace smoothing.
#[derive(Debug, Clone, Default)]
pub struct Router {
    labels: HashMap<String, LabelStats>,
    vocabulary: HashMap<String, u32>,
    documents: f64,
}

#[derive(Debug, Clone, Default)]
struct LabelStats {
    documents: f64,
    words: HashMap<String, f64>,
    total_words: f64,
}

impl Router {
    /// Learns one example. `weight` > 1 counts a dispatcher's override more than an ordinary dispatch.
    pub fn learn(&mut self, words: &[String], label: &str, weight: f64) {
        let stats = self.labels.entry(label.to_owned()).or_default();
        stats.documents += weight;
        self.documents += weight;
        for w in words {
            *stats.words.entry(w.clone()).or_default() += weight;
            stats.total_words += weight;
            *self.vocabulary.entry(w.clone()).or_default() += 1;
        }
    }

    pub fn labels(&self) -> usize {
        self.labels.len()
    }

    /// The `n` most likely labels for these words, best first.
    pub fn suggest(&self, words: &[String], n: usize) -> Vec<Suggestion> {
        if self.labels.is_empty() {
            return Vec::new();
        }
        let v = self.vocabulary.len().max(1) as f64;
        let known: Vec<&String> = words
            .iter()
            .filter(|w| self.vocabulary.contains_key(*w))
            .collect();
        let mut scored: Vec<Scored<'_>> = self
            .labels
            .iter()
            .map(|(label, s)| {
                let prior = (s.documents / self.documents).ln();
                let mut evidence = Vec::with_capacity(known.len());
                let mut score = prior;
                for w in &known {
                    let count = s.words.get(*w).copied().unwrap_or(0.0);
                    let p = ((count + 1.0) / (s.total_words + v)).ln();
                    score += p;
                    // How much more this word says for this label than for an unseen word.
                    evidence.push(((*w).clone(), p - (1.0 / (s.total_words + v)).ln()));
                }
                (label, score, evidence)
            })
            .collect();
        // Equal scores in label order, so the same text always gets the same list (the labels sit in
        // a hash map, whose order changes from process to process).
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        // Softmax over log scores for confidences.
        let best = scored.first().map(|s| s.1).unwrap_or(0.0);
        let z: f64 = scored.iter().map(|s| (s.1 - best).exp()).sum();
        scored
            .into_iter()
            .take(n)
            .map(|(label, score, mut evidence)| {
                evidence.sort_by(|a, b| b.1.total_cmp(&a.1));
                let mut seen: Vec<String> = Vec::new();
                for (w, e) in evidence {
                    if e > 0.0 && !seen.contains(&w) {
                        seen.push(w);
                    }
                    if seen.len() == 5 {
                        break;
                    }
                }
                Suggestion {
                    label: label.clone(),
                    confidence: ((score - best).exp() / z * 1000.0).round() / 1000.0,
                    words: seen,
                }
            })
            .collect()
    }
}
