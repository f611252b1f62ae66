//! The Vietnamese a document prints for the directory's and the
//! regulation's values, by their names in the API.

/// "CONFERENCE_KIND_CITIZENS_DIRECT" → "Trực tiếp với nhân dân (1.3)";
/// a value without a name here prints as it is.
pub fn vietnamese(name: &str) -> &str {
    match name {
        "CONFERENCE_KIND_SECTOR_CADRES" => "Với cán bộ, lãnh đạo cấp dưới của ngành (1.1)",
        "CONFERENCE_KIND_REPRESENTATIVES" => "Với đại diện tổ chức, MTTQ, đoàn thể và nhân dân (1.2)",
        "CONFERENCE_KIND_CITIZENS_DIRECT" => "Trực tiếp với nhân dân (1.3)",
        "CONFERENCE_KIND_THEMATIC" => "Theo chuyên đề (1.4)",
        "REGIME_PERIODIC" => "Định kỳ",
        "REGIME_REGULAR" => "Thường xuyên",
        "REGIME_AD_HOC" => "Đột xuất",
        "FORM_IN_PERSON" => "Trực tiếp",
        "FORM_ONLINE" => "Trực tuyến",
        "FORM_HYBRID" => "Trực tiếp kết hợp trực tuyến",
        "FIELD_ECONOMY_AND_SOCIETY" => "Kinh tế - xã hội",
        "FIELD_DEFENCE_AND_SECURITY" => "Quốc phòng - an ninh",
        "FIELD_SOCIAL_ORDER_AND_SAFETY" => "Trật tự, an toàn xã hội",
        "FIELD_PARTY_BUILDING" => "Xây dựng Đảng",
        "FIELD_GOVERNMENT_BUILDING" => "Xây dựng chính quyền",
        "FIELD_FRONT_AND_ORGANIZATIONS" => "Mặt trận và các đoàn thể",
        "CLASSIFICATION_PETITION" => "Kiến nghị",
        "CLASSIFICATION_PROPOSAL" => "Đề xuất",
        "CLASSIFICATION_FEEDBACK" => "Phản ánh",
        "CLASSIFICATION_COMPLAINT" => "Khiếu nại",
        "CLASSIFICATION_DENUNCIATION" => "Tố cáo",
        "SPEAKER_STATUS_QUEUED" => "Chờ phát biểu",
        "SPEAKER_STATUS_CONFIRMED" => "Đã xác nhận, chờ phát biểu",
        "SPEAKER_STATUS_MERGED" => "Gộp với đăng ký cùng nội dung",
        "SPEAKER_STATUS_OUT_OF_SCOPE" => "Ngoài phạm vi hội nghị",
        "SPEAKER_STATUS_CALLED" => "Đang phát biểu",
        "SPEAKER_STATUS_SPOKE" => "Đã phát biểu",
        "SPEAKER_STATUS_ABSENT" => "Vắng mặt khi được mời phát biểu",
        "SPEAKER_STATUS_REMOVED" => "Bị từ chối đối thoại (khoản 3 Điều 2 Quy chế)",
        other => other,
    }
}

/// Monday → "thứ Hai", Sunday → "Chủ nhật".
pub fn weekday(day: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match day {
        Mon => "thứ Hai",
        Tue => "thứ Ba",
        Wed => "thứ Tư",
        Thu => "thứ Năm",
        Fri => "thứ Sáu",
        Sat => "thứ Bảy",
        Sun => "Chủ nhật",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_in_vietnamese_and_unknown_ones_as_they_are() {
        assert_eq!(vietnamese("CONFERENCE_KIND_CITIZENS_DIRECT"), "Trực tiếp với nhân dân (1.3)");
        assert_eq!(vietnamese("FORM_HYBRID"), "Trực tiếp kết hợp trực tuyến");
        assert_eq!(vietnamese("SOMETHING_NEW"), "SOMETHING_NEW");
        assert_eq!(weekday(chrono::Weekday::Tue), "thứ Ba");
    }
}
