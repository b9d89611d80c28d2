//! The working-day calendar, checked against the State Council's notices and against itself.

use chrono::{Datelike, NaiveDate};
use onego_calendar::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn cal() -> WorkingCalendar {
    WorkingCalendar::default()
}

fn add(s: &str, n: u32) -> String {
    let r = cal().add_working_days(d(s), n).expect("in range");
    assert!(!r.provisional, "{s} + {n} should be covered by the table");
    r.value.to_string()
}

/// Local (UTC+8) wall-clock time to a timestamp.
fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{s}+08:00")).expect("test instant")
}

// --- The facts the issue names ---------------------------------------------------------------------

#[test]
fn a_make_up_saturday_is_the_first_working_day_after_a_friday() {
    assert_eq!(add("2026-02-13", 1), "2026-02-14");
}

#[test]
fn the_spring_festival_holiday_is_skipped_after_the_make_up_day() {
    assert_eq!(add("2026-02-13", 2), "2026-02-24");
}

#[test]
fn the_national_day_week_is_skipped() {
    assert_eq!(add("2026-09-30", 1), "2026-10-08");
}

#[test]
fn twenty_working_days_span_mid_autumn_and_national_day() {
    assert_eq!(add("2026-09-18", 20), "2026-10-22");
}

#[test]
fn counting_crosses_the_new_year_into_a_make_up_sunday() {
    assert_eq!(add("2025-12-31", 1), "2026-01-04");
}

#[test]
fn labour_day_holiday_is_skipped() {
    assert_eq!(add("2026-04-30", 3), "2026-05-08");
}

#[test]
fn twenty_twenty_five_and_twenty_twenty_six_each_have_248_working_days() {
    for year in [2025, 2026] {
        let n = cal().working_days_between(d(&format!("{}-12-31", year - 1)), d(&format!("{year}-12-31")));
        assert_eq!(n.value, 248, "working days in {year}");
        assert!(!n.provisional);
    }
}

#[test]
fn the_2026_rest_days_and_make_up_days_are_those_of_the_notice() {
    let rests = [
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ];
    let work = [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ];
    let c = cal();
    for day in d("2026-01-01").iter_days().take_while(|x| x.year() == 2026) {
        let in_rest = rests.iter().any(|(a, b)| day >= d(a) && day <= d(b));
        let is_work = work.contains(&day.to_string().as_str());
        let kind = c.day_kind(day).value;
        if in_rest {
            assert!(
                matches!(kind, DayKind::Holiday { .. }),
                "{day} should be a holiday, is {kind:?}"
            );
        } else if is_work {
            assert!(
                matches!(kind, DayKind::MakeUpWorkday { .. }),
                "{day} should be a make-up day, is {kind:?}"
            );
        } else {
            assert!(
                matches!(kind, DayKind::Workday | DayKind::Weekend),
                "{day} should be ordinary, is {kind:?}"
            );
        }
    }
}

// --- Table ------------------------------------------------------------------------------------------

#[test]
fn the_built_in_table_covers_every_year_from_2004_to_2026_each_naming_its_notice() {
    let table = HolidayTable::builtin();
    assert_eq!(table.year_span(), Some((2004, 2026)));
    assert!(table.missing_years().is_empty());
    for (year, notice) in table.years() {
        assert!(notice.contains(&year.to_string()), "{year}: {notice}");
        assert!(notice.contains("国务院"), "{year}: {notice}");
    }
}

#[test]
fn every_make_up_working_day_in_the_built_in_table_falls_on_a_weekend() {
    for p in HolidayTable::builtin().periods() {
        for w in &p.make_up_working_days {
            assert!(
                w.weekday().number_from_monday() >= 6,
                "{w} ({}) is not a weekend day",
                p.name
            );
        }
    }
}

#[test]
fn every_year_has_between_242_and_252_working_days() {
    // National working days per year since 2008 have stayed within this band; a typing error in the
    // table (a missing make-up day, a rest period off by a week) would push a year outside it.
    let c = cal();
    for year in 2008..=2026 {
        let n = c
            .working_days_between(d(&format!("{}-12-31", year - 1)), d(&format!("{year}-12-31")))
            .value;
        assert!((242..=252).contains(&n), "{year} has {n} working days");
    }
}

#[test]
fn special_notices_are_honoured_2015_victory_day_and_the_2020_spring_festival_extension() {
    let c = cal();
    assert!(!c.is_working_day(d("2015-09-03")));
    assert!(c.is_working_day(d("2015-09-06")));
    // The 2020 extension turned the make-up Saturday 1 February into a rest day.
    assert!(!c.is_working_day(d("2020-02-01")));
    assert!(!c.is_working_day(d("2020-02-02")));
    assert!(c.is_working_day(d("2020-02-03")));
    let kind = c.day_kind(d("2020-01-31")).value;
    assert_eq!(kind.name(), Some("春节（延长假期）"));
}

#[test]
fn a_holiday_period_beginning_in_december_belongs_to_the_next_year() {
    let kind = cal().day_kind(d("2022-12-31")).value;
    assert_eq!(
        kind,
        DayKind::Holiday {
            name: "元旦".into()
        }
    );
}

#[test]
fn dates_outside_the_table_are_counted_by_weekends_alone_and_marked_provisional() {
    let c = cal();
    // 2027-01-01 is a Friday; without a 2027 notice it is an ordinary working day.
    let k = c.day_kind(d("2027-01-01"));
    assert_eq!(k.value, DayKind::Workday);
    assert!(k.provisional);
    let r = c.add_working_days(d("2026-12-31"), 1).expect("in range");
    assert_eq!(r.value, d("2027-01-01"));
    assert!(r.provisional);
    let early = c.add_working_days(d("2003-12-31"), 1).expect("in range");
    assert!(early.provisional);
}

#[test]
fn extremes_never_panic() {
    let c = cal();
    assert!(c.add_working_days(NaiveDate::MAX, 1).is_none());
    assert!(c.add_working_days(d("2026-01-01"), u32::MAX).is_none());
    let _ = c.day_kind(NaiveDate::MIN);
    let _ = c.local_date(Timestamp::from_millis(i64::MAX));
    let _ = c.local_date(Timestamp::from_millis(i64::MIN));
    let clock = Clock::new(Timestamp::from_millis(0), Limit::WorkingDays(u32::MAX));
    assert_eq!(
        clock.read(&c, ClockPolicy::default(), Timestamp::from_millis(0)),
        Err(ClockError::TooLong)
    );
}

#[test]
fn a_table_file_reports_the_place_of_its_error() {
    let bad = r#"
        [[year]]
        year = 2027
        notice = "国务院办公厅关于2027年部分节假日安排的通知"
        [[year.holiday]]
        name = "春节"
        rest = ["2027-02-10", "2027-02-0x"]
    "#;
    let err = HolidayTable::from_toml_str(bad, "holidays-2027.toml")
        .expect_err("bad date")
        .to_string();
    assert!(err.contains("holidays-2027.toml"), "{err}");
    assert!(err.contains("year 2027 holiday \"春节\""), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");

    let reversed = bad.replace("2027-02-0x", "2027-02-01");
    let err = HolidayTable::from_toml_str(&reversed, "f")
        .expect_err("reversed")
        .to_string();
    assert!(err.contains("ends before it begins"), "{err}");

    let twice = r#"
        [[year]]
        year = 2027
        notice = "n"
        [[year.holiday]]
        name = "A"
        rest = ["2027-05-01", "2027-05-03"]
        [[year.holiday]]
        name = "B"
        rest = ["2027-05-03", "2027-05-04"]
    "#;
    let err = HolidayTable::from_toml_str(twice, "f")
        .expect_err("overlap")
        .to_string();
    assert!(
        err.contains("2027-05-03 is already given by year 2027 holiday \"A\""),
        "{err}"
    );

    let unknown = "[[year]]\nyear = 2027\nnotice = \"n\"\ncolour = \"red\"\n";
    let err = HolidayTable::from_toml_str(unknown, "f")
        .expect_err("unknown field")
        .to_string();
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn a_file_year_replaces_the_built_in_year_and_local_rest_days_are_added() {
    let file = r#"
        [[year]]
        year = 2027
        notice = "国务院办公厅关于2027年部分节假日安排的通知"
        [[year.holiday]]
        name = "元旦"
        rest = ["2027-01-01", "2027-01-03"]

        [[local]]
        name = "泼水节"
        rest = ["2026-04-13", "2026-04-15"]
    "#;
    let table = HolidayTable::builtin()
        .overlay(HolidayTable::from_toml_str(file, "region.toml").expect("valid"))
        .expect("no conflicts");
    assert_eq!(table.year_span(), Some((2004, 2027)));
    assert!(table.source().contains("region.toml"));
    let c = WorkingCalendar::new(table);
    assert_eq!(
        c.day_kind(d("2026-04-14")).value,
        DayKind::Holiday {
            name: "泼水节".into()
        }
    );
    let r = c.add_working_days(d("2026-12-31"), 1).expect("in range");
    assert_eq!(r.value, d("2027-01-04"));
    assert!(!r.provisional);
}

// --- Working hours ----------------------------------------------------------------------------------

#[test]
fn working_hours_run_only_in_office_hours_on_working_days() {
    let c = cal(); // 09:00–12:00, 13:30–17:30
    // Friday 16:00 + 3 working hours: 1.5 h on Friday, then the make-up Saturday 14 Feb opens at 09:00.
    let r = c
        .add_working_hours(at("2026-02-13T16:00:00"), 3)
        .expect("in range");
    assert_eq!(r.value, at("2026-02-14T10:30:00"));
    // Starting at night, counting begins at the next opening.
    let r = c
        .add_working_hours(at("2026-03-02T22:00:00"), 1)
        .expect("in range");
    assert_eq!(r.value, at("2026-03-03T10:00:00"));
    // Across lunch.
    let r = c
        .add_working_hours(at("2026-03-03T11:00:00"), 2)
        .expect("in range");
    assert_eq!(r.value, at("2026-03-03T14:30:00"));
    let between = c
        .working_millis_between(at("2026-03-03T11:00:00"), at("2026-03-03T14:30:00"))
        .value;
    assert_eq!(between, 2 * MS_PER_HOUR);
}

#[test]
fn office_hours_parse_and_explain_their_errors() {
    let h = OfficeHours::parse("08:30-12:00, 14:00-18:00").expect("valid");
    assert_eq!(h.minutes_per_day(), 210 + 240);
    assert_eq!(h.to_string(), "08:30-12:00,14:00-18:00");
    assert!(
        OfficeHours::parse("9-12")
            .unwrap_err()
            .to_string()
            .contains("HH:MM-HH:MM")
    );
    assert!(
        OfficeHours::parse("09:00-12:00,11:00-13:00")
            .unwrap_err()
            .to_string()
            .contains("overlap")
    );
    assert!(OfficeHours::parse("").is_err());
}

// --- Clock ------------------------------------------------------------------------------------------

#[test]
fn a_working_day_limit_ends_at_midnight_after_its_last_day() {
    let clock = Clock::new(at("2026-09-18T10:00:00"), Limit::WorkingDays(20));
    let r = clock
        .read(&cal(), ClockPolicy::default(), at("2026-09-18T10:00:00"))
        .expect("reads");
    assert_eq!(r.due, Some(at("2026-10-23T00:00:00")));
    assert_eq!(r.state, ClockState::Running);
    assert_eq!(r.elapsed_ms, 0);
    assert_eq!(r.remaining_ms, 20 * MS_PER_DAY);
}

#[test]
fn a_clock_warns_past_its_share_and_is_overdue_after_the_due_instant() {
    let clock = Clock::new(at("2026-03-02T10:00:00"), Limit::WorkingDays(10));
    let policy = ClockPolicy {
        warning_permille: 800,
    };
    let c = cal();
    // 10 working days from Monday 2 March: due end of Monday 16 March; 80 % used at end of Thursday 12.
    let r = c.add_working_days(d("2026-03-02"), 10).expect("in range");
    assert_eq!(r.value, d("2026-03-16"));
    assert_eq!(
        clock
            .read(&c, policy, at("2026-03-12T12:00:00"))
            .expect("reads")
            .state,
        ClockState::Running
    );
    let warn = clock.read(&c, policy, at("2026-03-13T00:00:01")).expect("reads");
    assert_eq!(warn.state, ClockState::Warning);
    assert_eq!(warn.warning_at, Some(at("2026-03-13T00:00:00")));
    let late = clock.read(&c, policy, at("2026-03-17T09:00:00")).expect("reads");
    assert_eq!(late.state, ClockState::Overdue);
    assert_eq!(late.remaining_ms, -9 * MS_PER_HOUR);
}

#[test]
fn a_supplement_request_stops_the_clock_and_its_days_do_not_count() {
    let c = cal();
    let mut clock = Clock::new(at("2026-03-02T10:00:00"), Limit::WorkingDays(5));
    let plain_due = clock
        .read(&c, ClockPolicy::default(), at("2026-03-02T10:00:00"))
        .expect("reads")
        .due;
    assert_eq!(plain_due, Some(at("2026-03-10T00:00:00")));
    // 补正 asked on Wednesday 4 March; the materials arrive on Monday 9 March.
    clock.pauses.push(Pause {
        from: at("2026-03-04T15:00:00"),
        until: None,
        reason: "补正".into(),
    });
    let paused = clock
        .read(&c, ClockPolicy::default(), at("2026-03-06T10:00:00"))
        .expect("reads");
    assert_eq!(paused.state, ClockState::Paused);
    assert_eq!(paused.due, None);
    assert_eq!(paused.elapsed_ms, MS_PER_DAY + MS_PER_DAY); // Tue 3 and Wed 4, frozen since
    clock.pauses[0].until = Some(at("2026-03-09T11:00:00"));
    let resumed = clock
        .read(&c, ClockPolicy::default(), at("2026-03-09T12:00:00"))
        .expect("reads");
    assert_eq!(resumed.state, ClockState::Running);
    // Thu 5, Fri 6 and Mon 9 are excluded (two working days after Wednesday, up to and including Monday).
    assert_eq!(resumed.due, Some(at("2026-03-13T00:00:00")));
}

#[test]
fn an_extension_adds_to_the_limit_and_must_be_in_its_unit() {
    let c = cal();
    let mut clock = Clock::new(at("2026-03-02T10:00:00"), Limit::WorkingDays(5));
    clock.extensions.push(Extension {
        limit: Limit::WorkingDays(5),
        reason: "专家评审".into(),
        approver: "局长".into(),
    });
    let r = clock
        .read(&c, ClockPolicy::default(), at("2026-03-02T10:00:00"))
        .expect("reads");
    assert_eq!(r.total, Limit::WorkingDays(10));
    assert_eq!(r.due, Some(at("2026-03-17T00:00:00")));
    clock.extensions.push(Extension {
        limit: Limit::NaturalDays(5),
        reason: "x".into(),
        approver: "y".into(),
    });
    assert!(matches!(
        clock.read(&c, ClockPolicy::default(), at("2026-03-02T10:00:00")),
        Err(ClockError::ExtensionUnit { .. })
    ));
}

#[test]
fn an_hour_limit_excludes_exactly_its_paused_interval() {
    let c = cal();
    let mut clock = Clock::new(at("2026-03-02T10:00:00"), Limit::NaturalHours(2));
    clock.pauses.push(Pause {
        from: at("2026-03-02T11:00:00"),
        until: Some(at("2026-03-02T11:30:00")),
        reason: "x".into(),
    });
    let r = clock
        .read(&c, ClockPolicy::default(), at("2026-03-02T12:00:00"))
        .expect("reads");
    assert_eq!(r.due, Some(at("2026-03-02T12:30:00")));
    assert_eq!(r.elapsed_ms, 90 * 60_000);
    assert_eq!(r.state, ClockState::Running); // 75 % used, below the default 80 % warning share
}

#[test]
fn a_working_hour_limit_counts_office_time() {
    let c = cal();
    let clock = Clock::new(at("2026-02-13T16:00:00"), Limit::WorkingHours(3));
    let r = clock
        .read(&c, ClockPolicy::default(), at("2026-02-13T17:00:00"))
        .expect("reads");
    assert_eq!(r.due, Some(at("2026-02-14T10:30:00")));
    assert_eq!(r.elapsed_ms, MS_PER_HOUR);
}

#[test]
fn limits_parse_from_their_compact_and_long_forms() {
    assert_eq!("20wd".parse::<Limit>(), Ok(Limit::WorkingDays(20)));
    assert_eq!("8 working hours".parse::<Limit>(), Ok(Limit::WorkingHours(8)));
    assert_eq!("30d".parse::<Limit>(), Ok(Limit::NaturalDays(30)));
    assert_eq!("2h".parse::<Limit>(), Ok(Limit::NaturalHours(2)));
    assert_eq!(Limit::WorkingDays(1).to_string(), "1 working day");
    assert_eq!(Limit::WorkingDays(20).compact(), "20wd");
    let err = "twenty days".parse::<Limit>().unwrap_err().to_string();
    assert!(err.contains("20wd"), "{err}");
    assert!("99999999999wd".parse::<Limit>().is_err());
}

// --- Properties -------------------------------------------------------------------------------------

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 2003 to 2027: inside the table and a year on either side of it.
    (0i64..(25 * 365)).prop_map(|n| d("2003-01-01") + chrono::Duration::days(n))
}

fn any_limit() -> impl Strategy<Value = Limit> {
    prop_oneof![
        (0u32..60).prop_map(Limit::WorkingDays),
        (0u32..80).prop_map(Limit::WorkingHours),
        (0u32..60).prop_map(Limit::NaturalDays),
        (0u32..200).prop_map(Limit::NaturalHours),
    ]
}

fn instant_on(date: NaiveDate, minute: u32) -> Timestamp {
    cal().start_of_day(date).plus_millis(i64::from(minute) * 60_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn adding_then_counting_working_days_round_trips(start in any_date(), n in 0u32..120) {
        let c = cal();
        let end = c.add_working_days(start, n).expect("in range").value;
        prop_assert_eq!(c.working_days_between(start, end).value, i64::from(n));
        if n > 0 {
            prop_assert!(c.is_working_day(end));
        }
    }

    #[test]
    fn a_pause_never_moves_a_deadline_earlier(
        start in any_date(), minute in 0u32..1440, limit in any_limit(),
        pause_after in 0i64..(40 * MS_PER_DAY), pause_len in 0i64..(20 * MS_PER_DAY),
    ) {
        let c = cal();
        let start = instant_on(start, minute);
        let mut clock = Clock::new(start, limit);
        let before = clock.read(&c, ClockPolicy::default(), start).expect("reads").due.expect("due");
        let from = start.plus_millis(pause_after);
        clock.pauses.push(Pause { from, until: Some(from.plus_millis(pause_len)), reason: "补正".into() });
        let after = clock.read(&c, ClockPolicy::default(), start).expect("reads").due.expect("due");
        prop_assert!(after >= before, "{} < {}", after, before);
    }

    #[test]
    fn later_starts_never_give_earlier_deadlines(
        a in any_date(), ma in 0u32..1440, gap in 0i64..(30 * MS_PER_DAY), limit in any_limit(),
    ) {
        let c = cal();
        let first = instant_on(a, ma);
        let second = first.plus_millis(gap);
        let due = |s| Clock::new(s, limit).read(&c, ClockPolicy::default(), s).expect("reads").due.expect("due");
        prop_assert!(due(second) >= due(first));
    }

    #[test]
    fn elapsed_plus_remaining_is_the_whole_limit(
        start in any_date(), minute in 0u32..1440, limit in any_limit(), later in 0i64..(90 * MS_PER_DAY),
    ) {
        let c = cal();
        let start = instant_on(start, minute);
        let r = Clock::new(start, limit).read(&c, ClockPolicy::default(), start.plus_millis(later)).expect("reads");
        prop_assert_eq!(r.elapsed_ms + r.remaining_ms, r.total_ms);
        prop_assert_eq!(r.state == ClockState::Overdue, r.due.is_some_and(|d| start.plus_millis(later) >= d));
        // At the due instant exactly, the whole limit has been used.
        let at_due = Clock::new(start, limit).read(&c, ClockPolicy::default(), r.due.expect("due")).expect("reads");
        prop_assert_eq!(at_due.remaining_ms, 0);
    }
}

#[test]
fn every_built_in_year_names_all_seven_national_holidays_and_a_partial_file_is_flagged() {
    let table = onego_calendar::HolidayTable::builtin();
    assert_eq!(
        table.incomplete_years(),
        Vec::<(i32, Vec<&str>)>::new(),
        "every notice names its seven holidays"
    );
    let partial = onego_calendar::HolidayTable::from_toml_str(
        r#"
[[year]]
year = 2027
notice = "国办发明电〔2026〕1号"
[[year.holiday]]
name = "元旦"
rest = ["2027-01-01", "2027-01-01"]
"#,
        "upload",
    )
    .expect("a valid file");
    let flagged = partial.incomplete_years();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].0, 2027);
    assert_eq!(flagged[0].1, vec!["春节", "清明", "劳动", "端午", "中秋", "国庆"]);
}
