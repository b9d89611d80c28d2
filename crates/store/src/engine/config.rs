//! The configuration a process loads (catalog, hotline data, stored holiday files) and its reload when
//! another process changed it (the generation moved).

use std::sync::Arc;

use onego_calendar::WorkingCalendar;
use onego_domain::catalog::Catalog;
use onego_domain::hotline::Hotline;

use super::Engine;
use crate::StoreError;

/// What a process loads from the database at start and after every configuration change.
pub(super) struct LoadedConfig {
    pub(super) generation: i64,
    pub(super) catalog: Catalog,
    pub(super) hotline: Hotline,
    pub(super) holiday_files: Vec<crate::catalog::HolidayFile>,
}

/// Everything in one read, so the generation matches what was read with it (a change committed
/// between the reads is seen again at the next refresh).
pub(super) fn load_config(conn: &mut dyn crate::Conn) -> Result<LoadedConfig, StoreError> {
    let generation = crate::config_generation(conn)?;
    Ok(LoadedConfig {
        generation,
        catalog: crate::catalog::load(conn)?,
        hotline: crate::hotline::load_hotline(conn)?,
        holiday_files: crate::catalog::holiday_files(conn)?,
    })
}

/// The base calendar with the stored holiday files laid over it, oldest first. Each file was checked
/// when it was stored; one that no longer fits (the base changed) is reported and left out.
pub(super) fn with_holiday_files(
    base: &WorkingCalendar,
    files: &[crate::catalog::HolidayFile],
) -> WorkingCalendar {
    let mut table = base.table().clone();
    for f in files {
        match onego_calendar::HolidayTable::from_toml_str(&f.source, &f.name)
            .and_then(|extra| table.clone().overlay(extra))
        {
            Ok(t) => table = t,
            Err(e) => tracing::error!(file = %f.name, error = %e, "a stored holiday file was left out"),
        }
    }
    WorkingCalendar::new(table)
        .with_office_hours(base.office_hours().clone())
        .with_offset(base.offset())
}

impl Engine {
    /// Reloads the configuration if any process changed it since it was loaded here (the generation
    /// moved). Returns whether it reloaded. The server calls this every second, so a change made on one
    /// server is in force on every server within about a second; the server that made it calls
    /// [`Engine::reload_config`] at once.
    pub async fn refresh_config(&self) -> Result<bool, StoreError> {
        let generation = self.store.read(crate::config_generation).await?;
        if generation == self.generation.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(false);
        }
        self.reload_config().await?;
        Ok(true)
    }

    /// Re-reads the catalog, hotline data and holiday files. Clocks are derived, so every reading from
    /// now on uses the new calendar; timers are set right at each aggregate's next step, and a timer
    /// that fires early changes nothing.
    pub async fn reload_config(&self) -> Result<(), StoreError> {
        let loaded = self.store.read(load_config).await?;
        let calendar = with_holiday_files(&self.base_calendar, &loaded.holiday_files);
        let before = self.hotline();
        self.routing.learn_categories(&loaded.hotline, &before.categories);
        *self.calendar.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(calendar);
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded.catalog);
        *self.hotline.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded.hotline);
        self.generation
            .store(loaded.generation, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}
