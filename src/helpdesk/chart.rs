//! The `/statistiche` chart: questions per day over the last 30 days, stacked by how
//! they were answered, and the questions most often left without a sure answer.
//!
//! Pure: [`per_day`] counts the question log, [`render`] draws a PNG in memory with
//! `plotters` (bitmap backend) and encodes it with `png`. Text is drawn with a font
//! compiled into the binary (Ubuntu Light, from `epaint_default_fonts`): no system font
//! or font configuration is needed, so the chart looks the same in a bare container.
//! Days are calendar days in Europe/Rome. Labels come from the caller (`locales/`).

use std::sync::Once;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::store::AskedQuestion;

/// The chart's size in pixels (Telegram shows photos up to 1280 wide).
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 760;
/// Unanswered topics shown at most.
pub const TOPICS: usize = 5;

const FONT: &str = "sans-serif";
const DIRECT: RGBColor = RGBColor(46, 139, 87);
const UNSURE: RGBColor = RGBColor(230, 159, 0);
const NONE: RGBColor = RGBColor(204, 68, 68);

/// How the questions of one day were answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    /// A sure, direct answer.
    pub direct: u32,
    /// An answer the bot was not sure of (a menu, a best guess).
    pub unsure: u32,
    /// Nothing found.
    pub none: u32,
}

impl Day {
    pub fn total(&self) -> u32 {
        self.direct + self.unsure + self.none
    }
}

/// The last `days` calendar days up to `now`'s (Europe/Rome), oldest first, with the
/// questions of `log` counted by outcome; questions outside them are left out.
pub fn per_day(log: &[AskedQuestion], now: Timestamp, days: usize) -> Vec<Day> {
    let tz = TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC);
    let today = now.to_zoned(tz.clone()).date();
    let mut out: Vec<Day> = (0..days)
        .rev()
        .filter_map(|back| today.checked_sub(jiff::Span::new().days(back as i64)).ok())
        .map(|date| Day {
            date,
            direct: 0,
            unsure: 0,
            none: 0,
        })
        .collect();
    let Some(first) = out.first().map(|d| d.date) else {
        return out;
    };
    for q in log {
        let date = q.at.to_zoned(tz.clone()).date();
        if date < first || date > today {
            continue;
        }
        let Ok(i) = usize::try_from((date - first).get_days()) else {
            continue;
        };
        let Some(day) = out.get_mut(i) else { continue };
        match (q.confident, &q.best) {
            (true, _) => day.direct += 1,
            (false, Some(_)) => day.unsure += 1,
            (false, None) => day.none += 1,
        }
    }
    out
}

/// The words on the chart, in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub title_days: String,
    pub direct: String,
    pub unsure: String,
    pub none: String,
    pub title_missing: String,
    /// Shown instead of the topics when every question had a sure answer.
    pub nothing_missing: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("drawing the chart: {0}")]
    Draw(String),
    #[error("encoding the chart: {0}")]
    Encode(#[from] png::EncodingError),
}

fn draw_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Registers the bundled font once per process.
fn font() -> Result<(), ChartError> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .map_err(|_| ChartError::Draw("the bundled font cannot be read".into()));
    });
    result
}

/// `s` cut to `max` characters, with «…» when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The chart as PNG bytes: `days` as stacked bars, then up to [`TOPICS`] of `missing`
/// (an example question and how many alike ones) as horizontal bars.
pub fn render(
    days: &[Day],
    missing: &[(String, usize)],
    labels: &Labels,
) -> Result<Vec<u8>, ChartError> {
    font()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (top, bottom) = root.split_vertically(HEIGHT * 56 / 100);
        draw_days(&top, days, labels)?;
        draw_missing(&bottom, missing, labels)?;
        root.present().map_err(draw_err)?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    w.write_image_data(&rgb)?;
    w.finish()?;
    Ok(out)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
/// A stacked layer of the daily bars: its name, colour, and the span of a day it covers.
type Layer<'a> = (&'a str, RGBColor, fn(&Day) -> (u32, u32));

fn draw_days(area: &Area<'_>, days: &[Day], labels: &Labels) -> Result<(), ChartError> {
    let n = days.len().max(1) as f64;
    let most = days.iter().map(Day::total).max().unwrap_or(0);
    // A round top, at least 5, so that the labels are whole numbers.
    let top = (f64::from(most) * 1.25).ceil().max(5.0);
    let top = (top / 5.0).ceil() * 5.0;
    let mut chart = ChartBuilder::on(area)
        .caption(&labels.title_days, (FONT, 26))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5..n - 0.5, 0.0..top)
        .map_err(draw_err)?;
    let date_of = |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        days.get(i as usize)
            .map(|d| format!("{:02}/{:02}", d.date.day(), d.date.month()))
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&date_of)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(draw_err)?;
    let layers: [Layer<'_>; 3] = [
        (&labels.direct, DIRECT, |d| (0, d.direct)),
        (&labels.unsure, UNSURE, |d| (d.direct, d.direct + d.unsure)),
        (&labels.none, NONE, |d| (d.direct + d.unsure, d.total())),
    ];
    for (name, color, span) in layers {
        chart
            .draw_series(days.iter().enumerate().filter_map(|(i, d)| {
                let (from, to) = span(d);
                (to > from).then(|| {
                    let x = i as f64;
                    Rectangle::new(
                        [(x - 0.38, f64::from(from)), (x + 0.38, f64::from(to))],
                        color.filled(),
                    )
                })
            }))
            .map_err(draw_err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

fn draw_missing(
    area: &Area<'_>,
    missing: &[(String, usize)],
    labels: &Labels,
) -> Result<(), ChartError> {
    let shown: Vec<&(String, usize)> = missing.iter().take(TOPICS).collect();
    let rows = TOPICS as f64;
    let most = shown.iter().map(|(_, c)| *c).max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(&labels.title_missing, (FONT, 24))
        .margin(16)
        .build_cartesian_2d(0.0..most * 1.12, 0.0..rows)
        .map_err(draw_err)?;
    if shown.is_empty() {
        chart
            .draw_series(std::iter::once(Text::new(
                labels.nothing_missing.clone(),
                (0.0, rows * 0.6),
                (FONT, 18).into_font().color(&BLACK.mix(0.7)),
            )))
            .map_err(draw_err)?;
        return Ok(());
    }
    let text = (FONT, 16).into_font().color(&BLACK);
    let count_style = text.clone().pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (example, count)) in shown.iter().enumerate() {
        // The first topic at the top.
        let y = rows - 1.0 - i as f64;
        let c = *count as f64;
        chart
            .draw_series([Rectangle::new(
                [(0.0, y + 0.08), (c, y + 0.48)],
                NONE.mix(0.85).filled(),
            )])
            .map_err(draw_err)?;
        chart
            .draw_series([
                Text::new(
                    format!("«{}»", cut(example, 80)),
                    (0.0, y + 0.92),
                    text.clone(),
                ),
                Text::new(
                    count.to_string(),
                    (c + most * 0.01, y + 0.28),
                    count_style.clone(),
                ),
            ])
            .map_err(draw_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(at: &str, best: Option<&str>, confident: bool) -> AskedQuestion {
        AskedQuestion {
            at: at.parse().unwrap(),
            question: "q".into(),
            best: best.map(Into::into),
            confident,
        }
    }

    fn labels() -> Labels {
        Labels {
            title_days: "Domande al giorno".into(),
            direct: "Risposta sicura".into(),
            unsure: "Incerta".into(),
            none: "Nessuna".into(),
            title_missing: "Senza risposta sicura".into(),
            nothing_missing: "Tutte con risposta".into(),
        }
    }

    #[test]
    fn days_are_rome_calendar_days_counted_by_outcome() {
        let now: Timestamp = "2026-03-29T10:00:00Z".parse().unwrap();
        let log = [
            // 23:30 UTC on the 28th is already the 29th in Rome (summer time from 02:00).
            asked("2026-03-28T23:30:00Z", Some("faq:a"), true),
            asked("2026-03-29T08:00:00Z", Some("faq:b"), false),
            asked("2026-03-29T09:00:00Z", None, false),
            asked("2026-03-28T12:00:00Z", None, false),
            // Outside the 30 days, and in the future.
            asked("2026-02-26T12:00:00Z", Some("faq:a"), true),
            asked("2026-03-30T12:00:00Z", Some("faq:a"), true),
        ];
        let days = per_day(&log, now, 30);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0].date, jiff::civil::date(2026, 2, 28));
        let today = days[29];
        assert_eq!(today.date, jiff::civil::date(2026, 3, 29));
        assert_eq!((today.direct, today.unsure, today.none), (1, 1, 1));
        assert_eq!((days[28].direct, days[28].none), (0, 1));
        assert_eq!(days.iter().map(Day::total).sum::<u32>(), 4);
    }

    /// Decodes a PNG: (width, height, RGB pixels).
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// Pixels of a colour close to `c`.
    fn count(pixels: &[u8], c: RGBColor) -> usize {
        pixels
            .chunks(3)
            .filter(|p| p[0].abs_diff(c.0) < 8 && p[1].abs_diff(c.1) < 8 && p[2].abs_diff(c.2) < 8)
            .count()
    }

    #[test]
    fn the_png_has_its_size_bars_in_each_colour_and_text() {
        let now: Timestamp = "2026-03-29T10:00:00Z".parse().unwrap();
        let mut log = Vec::new();
        for d in 1..=20 {
            let at = format!("2026-03-{d:02}T10:00:00Z");
            log.push(asked(&at, Some("faq:a"), true));
            log.push(asked(&at, Some("faq:a"), d % 2 == 0));
            log.push(asked(&at, None, false));
        }
        let missing = vec![
            ("rimborso spese di viaggio dipendenti".to_string(), 7),
            ("parcheggio aziendale".to_string(), 3),
        ];
        let png = render(&per_day(&log, now, 30), &missing, &labels()).unwrap();
        let (w, h, pixels) = decode(&png);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        let all = (w * h) as usize;
        let white = count(&pixels, WHITE);
        assert!(
            white < all * 97 / 100,
            "almost blank: {white} of {all} white"
        );
        assert!(white > all / 2, "mostly background");
        for c in [DIRECT, UNSURE, NONE] {
            assert!(count(&pixels, c) > 500, "no bars in {c:?}");
        }
        // Text is drawn (dark anti-aliased pixels), with no system font installed.
        let dark = pixels
            .chunks(3)
            .filter(|p| p.iter().all(|&v| v < 90))
            .count();
        assert!(dark > 1000, "no text: {dark} dark pixels");
    }

    #[test]
    fn an_empty_month_still_draws_a_chart() {
        let now: Timestamp = "2026-03-29T10:00:00Z".parse().unwrap();
        let png = render(&per_day(&[], now, 30), &[], &labels()).unwrap();
        let (w, h, pixels) = decode(&png);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        // Only the legend's swatches (14 × 12 pixels) have the bars' colours.
        assert!(count(&pixels, DIRECT) + count(&pixels, NONE) < 400);
        let dark = pixels
            .chunks(3)
            .filter(|p| p.iter().all(|&v| v < 90))
            .count();
        assert!(dark > 500, "titles, axes and the note are drawn");
    }
}
