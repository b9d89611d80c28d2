//! Grid governance areas: region → street → community → grid, each with a boundary read from GeoJSON.
//! An event with coordinates lands in the smallest area that contains it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::values::Code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridLevel {
    Region,
    Street,
    Community,
    Grid,
}

/// One ring of a polygon: (longitude, latitude) points, as GeoJSON orders them.
pub type Ring = Vec<(f64, f64)>;

/// A polygon: an outer ring and any holes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    pub outer: Ring,
    #[serde(default)]
    pub holes: Vec<Ring>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub code: Code,
    pub name: String,
    pub level: GridLevel,
    #[serde(default)]
    pub parent: Option<Code>,
    /// One or more polygons (a MultiPolygon).
    pub boundary: Vec<Polygon>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("feature {index}: {message}")]
    Feature { index: usize, message: String },
    #[error("not a GeoJSON FeatureCollection: {0}")]
    Collection(String),
}

/// Ray casting: whether (lon, lat) lies inside the ring (points on the edge count as inside one side).
fn in_ring(ring: &Ring, lon: f64, lat: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl Polygon {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        in_ring(&self.outer, lon, lat) && !self.holes.iter().any(|h| in_ring(h, lon, lat))
    }
}

impl Area {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.boundary.iter().any(|p| p.contains(lon, lat))
    }
}

/// The smallest area (grid before community before street before region) that contains the point.
pub fn locate(areas: &[Area], lon: f64, lat: f64) -> Option<&Area> {
    areas
        .iter()
        .filter(|a| a.contains(lon, lat))
        .max_by_key(|a| a.level)
}

fn ring(v: &Value) -> Option<Ring> {
    let points = v.as_array()?;
    let ring: Option<Ring> = points
        .iter()
        .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect();
    ring.filter(|r| r.len() >= 4)
}

fn polygon(v: &Value) -> Option<Polygon> {
    let rings = v.as_array()?;
    let mut it = rings.iter();
    let outer = ring(it.next()?)?;
    let holes: Option<Vec<Ring>> = it.map(ring).collect();
    Some(Polygon { outer, holes: holes? })
}

/// Reads areas from a GeoJSON FeatureCollection whose features carry `code`, `name`, `level` and
/// optionally `parent` in their properties, and a Polygon or MultiPolygon geometry.
pub fn from_geojson(text: &str) -> Result<Vec<Area>, GeoError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| GeoError::Collection(e.to_string()))?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(GeoError::Collection(
            "the top-level type must be FeatureCollection".into(),
        ));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| GeoError::Collection("no features".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (index, f) in features.iter().enumerate() {
        let err = |m: &str| GeoError::Feature {
            index,
            message: m.to_owned(),
        };
        let props = f.get("properties").ok_or_else(|| err("has no properties"))?;
        let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_owned);
        let code =
            Code::parse(&text("code").ok_or_else(|| err("has no code"))?).map_err(|e| err(&e.to_string()))?;
        let level: GridLevel = serde_json::from_value(props.get("level").cloned().unwrap_or(Value::Null))
            .map_err(|_| err("level must be region, street, community or grid"))?;
        let parent = text("parent")
            .map(|p| Code::parse(&p))
            .transpose()
            .map_err(|e| err(&e.to_string()))?;
        let geometry = f.get("geometry").ok_or_else(|| err("has no geometry"))?;
        let coords = geometry
            .get("coordinates")
            .ok_or_else(|| err("geometry has no coordinates"))?;
        let boundary = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![
                polygon(coords)
                    .ok_or_else(|| err("the polygon is malformed (rings need 4+ [lon, lat] points)"))?,
            ],
            Some("MultiPolygon") => coords
                .as_array()
                .ok_or_else(|| err("the multipolygon is malformed"))?
                .iter()
                .map(|p| polygon(p).ok_or_else(|| err("a polygon of the multipolygon is malformed")))
                .collect::<Result<_, _>>()?,
            _ => return Err(err("geometry must be a Polygon or MultiPolygon")),
        };
        out.push(Area {
            name: text("name").unwrap_or_else(|| code.to_string()),
            code,
            level,
            parent,
            boundary,
        });
    }
    Ok(out)
}
