//! Vietnamese first, English available: the language a page speaks (the
//! `lang` cookie, set by the switch in every page's header), dates as people
//! write them (Thứ Ba, 03/03/2026), and the names of the services' enums.

use axum::{extract::FromRequestParts, http::request::Parts};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use doithoai_proto::{
    common::v1::Field,
    deadlines::v1::{ObligationKind, ObligationState},
    minutes::v1::{Classification, Outcome, PetitionStatus},
    scheduling::v1::{Body, ConferenceKind, ConferenceState, Form, Regime},
};
use doithoai_runtime::time::ZONE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The Vietnamese or the English of a text.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn weekday(self, day: Weekday) -> &'static str {
        let (vi, en) = match day {
            Weekday::Mon => ("Thứ Hai", "Monday"),
            Weekday::Tue => ("Thứ Ba", "Tuesday"),
            Weekday::Wed => ("Thứ Tư", "Wednesday"),
            Weekday::Thu => ("Thứ Năm", "Thursday"),
            Weekday::Fri => ("Thứ Sáu", "Friday"),
            Weekday::Sat => ("Thứ Bảy", "Saturday"),
            Weekday::Sun => ("Chủ Nhật", "Sunday"),
        };
        self.t(vi, en)
    }

    /// `Thứ Ba, 03/03/2026`.
    pub fn date(self, day: NaiveDate) -> String {
        format!("{}, {}", self.weekday(day.weekday()), day.format("%d/%m/%Y"))
    }

    /// `Thứ Ba, 03/03/2026, 08:00`, in Hà Nội's time.
    pub fn date_time(self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&ZONE);
        format!("{}, {}", self.date(local.date_naive()), local.format("%H:%M"))
    }

    /// A `YYYY-MM-DD` of the services as a date people read; empty stays empty.
    pub fn iso_date(self, text: &str) -> String {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| self.date(d)).unwrap_or_else(|_| text.to_owned())
    }

    pub fn month(self, month: u32, year: i32) -> String {
        match self {
            Lang::Vi => format!("Tháng {month}/{year}"),
            Lang::En => {
                let name =
                    NaiveDate::from_ymd_opt(year, month, 1).map(|d| d.format("%B").to_string()).unwrap_or_default();
                format!("{name} {year}")
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_request_parts(parts, state).await?;
        Ok(match jar.get("lang").map(|c| c.value()) {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        })
    }
}

/// The name of an enum value of the services, in the page's language.
pub trait Named {
    fn name(self, lang: Lang) -> &'static str;
}

macro_rules! named {
    ($type:ty { $($variant:ident => $vi:literal, $en:literal;)* }) => {
        impl Named for $type {
            fn name(self, lang: Lang) -> &'static str {
                match self {
                    $(<$type>::$variant => lang.t($vi, $en),)*
                }
            }
        }
    };
}

named!(ConferenceState {
    Unspecified => "—", "—";
    Draft => "Dự thảo", "Draft";
    Announced => "Đã thông báo", "Announced";
    InProgress => "Đang diễn ra", "In progress";
    Ended => "Đã kết thúc", "Ended";
    Cancelled => "Đã hủy", "Cancelled";
    Postponed => "Hoãn", "Postponed";
});

named!(Form {
    Unspecified => "—", "—";
    InPerson => "Trực tiếp", "In person";
    Online => "Trực tuyến", "Online";
    Hybrid => "Trực tiếp và trực tuyến", "In person and online";
});

named!(ConferenceKind {
    Unspecified => "—", "—";
    SectorCadres => "Đối thoại với cán bộ cấp dưới, ngành", "With lower-level and sector cadres";
    Representatives => "Đối thoại với đại diện tổ chức và Nhân dân", "With representatives of organisations and citizens";
    CitizensDirect => "Đối thoại trực tiếp với Nhân dân", "Directly with citizens";
    Thematic => "Đối thoại chuyên đề", "Thematic";
});

named!(Regime {
    Unspecified => "—", "—";
    Periodic => "Định kỳ", "Periodic";
    Regular => "Thường xuyên", "Regular";
    AdHoc => "Đột xuất", "Ad hoc";
});

named!(Body {
    Unspecified => "—", "—";
    PartyCommittee => "Cấp ủy", "Party committee";
    PeoplesCouncil => "Hội đồng nhân dân", "People's Council";
    PeoplesCommittee => "Ủy ban nhân dân", "People's Committee";
});

named!(Field {
    Unspecified => "—", "—";
    EconomyAndSociety => "Kinh tế - xã hội", "Economy and society";
    DefenceAndSecurity => "Quốc phòng - an ninh", "Defence and security";
    SocialOrderAndSafety => "Trật tự, an toàn xã hội", "Social order and safety";
    PartyBuilding => "Xây dựng Đảng", "Party building";
    GovernmentBuilding => "Xây dựng chính quyền", "Government building";
    FrontAndOrganizations => "Mặt trận và các đoàn thể", "The Front and mass organisations";
});

named!(Classification {
    Unspecified => "—", "—";
    Petition => "Kiến nghị", "Petition";
    Proposal => "Đề xuất", "Proposal";
    Feedback => "Phản ánh", "Feedback";
    Complaint => "Khiếu nại", "Complaint";
    Denunciation => "Tố cáo", "Denunciation";
});

named!(PetitionStatus {
    Unspecified => "—", "—";
    Recorded => "Đã ghi nhận", "Recorded";
    Answered => "Đã trả lời tại hội nghị", "Answered at the conference";
    Referred => "Đã chuyển cơ quan tiếp công dân", "Referred to citizen reception";
    Assigned => "Đã giao cơ quan giải quyết", "Assigned to an agency";
    Responded => "Đã trả lời bằng văn bản", "Answered in writing";
    Escalated => "Đã đề xuất lên cấp trên", "Escalated to a higher level";
});

named!(Outcome {
    Unspecified => "—", "—";
    Resolved => "Đã giải quyết", "Resolved";
    PartlyResolved => "Giải quyết một phần", "Partly resolved";
    Explained => "Đã giải thích", "Explained";
    NotAccepted => "Không chấp nhận", "Not accepted";
});

named!(ObligationState {
    Unspecified => "—", "—";
    Open => "Trong hạn", "Open";
    DueSoon => "Sắp đến hạn", "Due soon";
    Overdue => "Quá hạn", "Overdue";
    MetOnTime => "Đúng hạn", "Met on time";
    MetLate => "Trễ hạn", "Met late";
    Cancelled => "Đã hủy", "Cancelled";
});

named!(ObligationKind {
    Unspecified => "—", "—";
    ConclusionNotice => "Thông báo kết luận (R10.2)", "Conclusion notice (R10.2)";
    AgencyResponse => "Trả lời bằng văn bản (R10.3)", "Written response (R10.3)";
    EscalationNotice => "Báo người kiến nghị khi chuyển cấp trên (R10.4)", "Petitioner told of escalation (R10.4)";
    PeriodicDialogue => "Đối thoại định kỳ (R6.2)", "Periodic dialogue (R6.2)";
    ReportHalfYear => "Báo cáo 6 tháng (R13.1)", "Six-month report (R13.1)";
    ReportYear => "Báo cáo năm (R13.1)", "Annual report (R13.1)";
});

/// A service's enum number as its value's name, `—` for an unknown one.
pub fn name_of<E: TryFrom<i32> + Named>(value: i32, lang: Lang) -> &'static str {
    E::try_from(value).map_or("—", |e| e.name(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_write_them() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
        assert_eq!(Lang::Vi.date(day), "Thứ Ba, 03/03/2026");
        assert_eq!(Lang::En.date(day), "Tuesday, 03/03/2026");
        let at = "2026-03-03T01:30:00Z".parse().unwrap();
        assert_eq!(Lang::Vi.date_time(at), "Thứ Ba, 03/03/2026, 08:30");
        assert_eq!(Lang::Vi.iso_date("2026-12-06"), "Chủ Nhật, 06/12/2026");
    }
}
