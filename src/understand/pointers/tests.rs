//! Tests of the pointers: measures by number, pronouns, years, the newest and oldest call, now.

use super::*;
use crate::knowledge::lexicon::phrase;
use crate::understand::calls::named_calls;

fn pack() -> Knowledge {
    crate::knowledge::shipped()
}

#[test]
fn a_measure_is_named_by_its_number_alone_when_its_family_is_in_focus() {
    let k = pack();
    let id = |s: &str| CallId(s.into());
    let leads: Vec<String> = ["la", "della"].map(String::from).to_vec();
    let after: Vec<String> = ["cosa", "e"].map(String::from).to_vec();
    let by = |text: &str, focus: &str| {
        let w = phrase(text);
        by_distinction(&k, &w, &id(focus), &leads, &after)
            .map(|r| (r.call.0.clone(), r.apply(&w).join(" ")))
    };
    assert_eq!(
        by("e la quarta?", "wecare-misura-3"),
        Some(("wecare-misura-4".into(), "e la quarta misura".into()))
    );
    // From the strategy, and from a call inside a measure.
    assert_eq!(
        by("e la 2?", "wecare").map(|r| r.0),
        Some("wecare-misura-2".into())
    );
    assert_eq!(
        by("e della quinta cosa sai?", "wecare-welfare-aziendale").map(|r| r.0),
        Some("wecare-misura-5".into())
    );
    // The whole name found later is read as named already.
    let (_, w) = by("e la quarta?", "wecare-misura-3").unwrap();
    assert_eq!(named_calls(&k, &phrase(&w)), [id("wecare-misura-4")]);
    // Not without an article before it, not for a call without such a family.
    assert_eq!(by("quarta", "wecare"), None);
    assert_eq!(by("prima di fare domanda", "wecare"), None);
    assert_eq!(by("e la quarta?", "alfa-2026"), None);
    assert_eq!(by("e la scadenza?", "wecare-misura-3"), None);
    assert_eq!(by("è la prima volta che chiedo", "wecare"), None);
    assert_eq!(
        by("e la seconda cosa faceva?", "wecare-misura-1").map(|r| r.0),
        Some("wecare-misura-2".into())
    );
}

#[test]
fn a_call_is_found_by_its_place_among_the_years() {
    let k = pack();
    let id = |s: &str| CallId(s.into());
    let step = |from: &str, s| by_step(&k, Some(&id(from)), s).map(|c| c.0);
    assert_eq!(
        step("welfare-aziendale-2022", Step::Next),
        Some("welfare-aziendale-2023".into())
    );
    assert_eq!(
        step("welfare-aziendale-2022", Step::Previous),
        Some("wecare-welfare-aziendale".into())
    );
    assert_eq!(
        step("welfare-aziendale-2023", Step::Next),
        Some("alfa-2026".into())
    );
    assert_eq!(step("alfa-2026", Step::Next), None);
    // The latest and the earliest, from anywhere.
    assert_eq!(
        step("wecare-welfare-aziendale", Step::Newest),
        Some("alfa-2026".into())
    );
    assert_eq!(
        step("alfa-2026", Step::Oldest),
        Some("wecare-welfare-aziendale".into())
    );
    // A call named by no year has no place among them.
    assert_eq!(step("wecare-misura-2", Step::Next), None);
    // The pointer is read as the call's name, and is not searched for.
    let next = [phrase("anno dopo")];
    let p = Pointers {
        next: &next,
        ..Pointers::default()
    };
    let w = phrase("quello dell'anno dopo per chi era?");
    let r = referred(&k, &w, Some(&id("welfare-aziendale-2022")), p).unwrap();
    assert_eq!(r.call, id("welfare-aziendale-2023"));
    assert_eq!(r.apply(&w).join(" "), "quello dell 2023 per chi era");
    assert_eq!(r.without(&w).join(" "), "quello dell per chi era");
}

#[test]
fn a_pronoun_stands_for_the_head_word_of_a_measure_s_name() {
    let k = pack();
    let id = |s: &str| CallId(s.into());
    let pronouns = ["quella".to_string(), "quello".to_string()];
    let p = Pointers {
        pronouns: &pronouns,
        ..Pointers::default()
    };
    // «misura per il terzo settore», «misura finanziata dal fesr» are measures' names.
    let w = phrase("e quella per il terzo settore quanto valeva?");
    let r = referred(&k, &w, Some(&id("wecare")), p).unwrap();
    assert_eq!(r.call, id("wecare-misura-2"));
    let w = phrase("quella finanziata dal fesr di cosa si occupa?");
    let r = referred(&k, &w, Some(&id("wecare-misura-1")), p).unwrap();
    assert_eq!(r.call, id("wecare-misura-4"));
    // A pronoun that makes no name, or a call outside the family in focus: nothing.
    assert_eq!(
        referred(&k, &phrase("e quella cosa?"), Some(&id("wecare")), p),
        None
    );
    assert_eq!(
        referred(
            &k,
            &phrase("e quella per il terzo settore?"),
            Some(&id("alfa-2026")),
            p
        ),
        None
    );
}

#[test]
fn the_latest_and_the_earliest_call_need_no_call_in_focus() {
    let k = pack();
    let newest = [phrase("quello nuovo")];
    let oldest = [phrase("quello vecchio")];
    let next = [phrase("anno dopo")];
    let p = Pointers {
        next: &next,
        newest: &newest,
        oldest: &oldest,
        ..Pointers::default()
    };
    let newest_call = k.calls.iter().max_by_key(|c| year(c)).unwrap().id.clone();
    let r = referred(&k, &phrase("e quello nuovo?"), None, p).unwrap();
    assert_eq!(r.call, newest_call);
    let r = referred(&k, &phrase("e quello vecchio quanto dava?"), None, p).unwrap();
    assert_eq!(
        Some(r.call.clone()),
        k.calls
            .iter()
            .filter(|c| year(c).is_some())
            .min_by_key(|c| year(c))
            .map(|c| c.id.clone())
    );
    // «L'anno dopo» counts from a call: without one in focus it points nowhere.
    assert_eq!(
        referred(&k, &phrase("e quello dell'anno dopo?"), None, p),
        None
    );
    // The newest of a measure is not the newest call; of the Region, it is.
    assert_eq!(
        referred(&k, &phrase("e quello nuovo di quella misura?"), None, p),
        None
    );
    let r = referred(
        &k,
        &phrase("quello nuovo della regione come si chiama?"),
        None,
        p,
    );
    assert_eq!(r.map(|r| r.call), Some(newest_call));
}

#[test]
fn now_at_the_start_points_at_the_one_call_open_by_the_clock() {
    let k = pack();
    let now = [phrase("e oggi")];
    let asks_open = [phrase("ancora"), phrase("c e")];
    let at = |date: &str| Pointers {
        now: &now,
        asks_open: &asks_open,
        clock: Some(
            date.parse::<jiff::civil::Date>()
                .unwrap()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp(),
        ),
        ..Pointers::default()
    };
    let call = |text: &str, focus: &str, date: &str| {
        referred(&k, &phrase(text), Some(&CallId(focus.into())), at(date)).map(|r| r.call.0)
    };
    let q = "e oggi le associazioni cosa possono fare?";
    let open: Vec<&str> = k
        .calls
        .iter()
        .filter(|c| crate::understand::calls::is_open(c, at("2026-06-01").clock.unwrap()))
        .map(|c| c.id.0.as_str())
        .collect();
    assert_eq!(open, ["alfa-2026"]);
    assert_eq!(
        call(q, "wecare-welfare-aziendale", "2026-06-01").as_deref(),
        Some("alfa-2026")
    );
    // Before it opened nothing is open now; an open call in focus stays.
    assert_eq!(call(q, "wecare-welfare-aziendale", "2025-06-01"), None);
    assert_eq!(call(q, "alfa-2026", "2026-06-01"), None);
    // Only at the start, and not when the message asks whether something is open.
    let mid = "le associazioni e oggi cosa possono fare?";
    assert_eq!(call(mid, "wecare-welfare-aziendale", "2026-06-01"), None);
    let open_still = "e oggi è ancora aperto?";
    assert_eq!(
        call(open_still, "wecare-welfare-aziendale", "2026-06-01"),
        None
    );
}

#[test]
fn this_year_and_last_year_are_read_by_the_clock() {
    let k = pack();
    let this_year = [phrase("quest anno")];
    let last_year = [phrase("anno scorso")];
    let newest = [phrase("quello nuovo")];
    let at = |year: u16| Pointers {
        newest: &newest,
        this_year: &this_year,
        last_year: &last_year,
        year: Some(year),
        ..Pointers::default()
    };
    let call =
        |text: &str, year: u16| referred(&k, &phrase(text), None, at(year)).map(|r| r.call.0);
    // Every call named by a year is this year's in that year, and last year's the next.
    for c in k.calls.iter().filter(|c| year(c).is_some()) {
        let y = year(c).unwrap();
        assert_eq!(
            call("il bando sul welfare di quest'anno?", y),
            Some(c.id.0.clone())
        );
        assert_eq!(
            call("e quello dell'anno scorso?", y + 1),
            Some(c.id.0.clone())
        );
    }
    // A year without a call names none, even with a newer call about.
    assert_eq!(call("c'è un bando quest'anno?", 2021), None);
    // The pointer is read as the call's name.
    let w = phrase("quello di quest'anno per chi è?");
    let r = referred(&k, &w, None, at(2023)).unwrap();
    assert_eq!(r.apply(&w).join(" "), "quello di 2023 per chi e");
}
