//! The words of the demonstration year: people's names, agencies, themes and
//! what citizens raise in each R5.1 field. Every name is drawn at random from
//! common name parts: no real person's data is generated, and no phone number
//! or identity number at all.

use doithoai_proto::common::v1::Field;
use rand::{Rng, seq::IndexedRandom};

const SURNAMES: &[&str] =
    &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đào", "Đinh"];
const MIDDLE: &[&str] = &["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Mạnh"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan", "Long", "Mai",
    "Nam", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Việt", "Yến",
];

fn pick(rng: &mut impl Rng, words: &[&'static str]) -> &'static str {
    words.choose(rng).copied().unwrap_or_default()
}

pub fn person_name(rng: &mut impl Rng) -> String {
    format!("{} {} {}", pick(rng, SURNAMES), pick(rng, MIDDLE), pick(rng, GIVEN))
}

const COLLECTIVES: &[&str] = &[
    "Hợp tác xã dịch vụ nông nghiệp",
    "Chi hội Nông dân",
    "Chi hội Cựu chiến binh",
    "Chi hội Phụ nữ",
    "Ban công tác Mặt trận",
    "Hội Người cao tuổi",
];
const HAMLETS: &[&str] = &["thôn Đông", "thôn Tây", "thôn Nam", "thôn Bắc", "thôn Thượng", "thôn Hạ", "thôn Trung"];

/// An organisation of a hamlet that registers at a representatives' conference.
pub fn collective_name(rng: &mut impl Rng) -> String {
    format!("{} {}", pick(rng, COLLECTIVES), pick(rng, HAMLETS))
}

/// The agencies of a unit (by tier: province, district, commune) and the fields each answers.
pub fn agencies(tier: i32, unit_name: &str) -> Vec<(String, Vec<Field>)> {
    use Field::*;
    let economy = vec![EconomyAndSociety];
    let order = vec![DefenceAndSecurity, SocialOrderAndSafety];
    let government = vec![PartyBuilding, GovernmentBuilding, FrontAndOrganizations];
    match tier {
        1 => vec![
            ("Sở Nông nghiệp và Môi trường".into(), economy.clone()),
            ("Sở Xây dựng".into(), economy),
            (format!("Công an {unit_name}"), order),
            ("Sở Nội vụ".into(), government),
        ],
        2 => vec![
            (format!("Phòng Tài nguyên và Môi trường {unit_name}"), economy.clone()),
            (format!("Phòng Kinh tế, Hạ tầng và Đô thị {unit_name}"), economy),
            (format!("Công an {unit_name}"), order),
            (format!("Phòng Nội vụ {unit_name}"), government),
        ],
        _ => vec![
            (format!("Công chức Địa chính - Xây dựng {unit_name}"), economy.clone()),
            (format!("Công chức Văn hóa - Xã hội {unit_name}"), economy),
            (format!("Công an {unit_name}"), order),
            (format!("Văn phòng - Thống kê {unit_name}"), government),
        ],
    }
}

/// The title of whom an agency of this tier sends to answer at a conference (R7.4).
pub fn invitee_title(tier: i32) -> &'static str {
    match tier {
        1 => "Phó Giám đốc",
        2 => "Trưởng phòng",
        _ => "Công chức phụ trách",
    }
}

pub const THEMES: &[&str] = &[
    "Bồi thường, giải phóng mặt bằng và tái định cư",
    "Quản lý đất đai và trật tự xây dựng",
    "Cải cách thủ tục hành chính",
    "Xây dựng nông thôn mới và đô thị văn minh",
    "Bảo vệ môi trường và nước sạch nông thôn",
    "An ninh trật tự ở khu dân cư",
    "Chính sách an sinh xã hội",
];

/// What citizens raise, by field.
pub fn petition_text(field: Field, rng: &mut impl Rng) -> &'static str {
    let texts: &[&str] = match field {
        Field::EconomyAndSociety => &[
            "Đề nghị sớm chi trả tiền bồi thường giải phóng mặt bằng",
            "Việc cấp giấy chứng nhận quyền sử dụng đất còn chậm",
            "Đường giao thông liên thôn xuống cấp",
            "Khu dân cư thiếu nước sạch sinh hoạt",
            "Ô nhiễm môi trường từ cơ sở chăn nuôi",
            "Hỗ trợ hộ nghèo, hộ cận nghèo",
            "Chế độ chính sách cho người có công",
            "Trường học xuống cấp, thiếu phòng học",
            "Rác thải sinh hoạt chưa được thu gom kịp thời",
            "Hệ thống tiêu thoát nước gây ngập úng",
        ],
        Field::DefenceAndSecurity => &["Công tác tuyển chọn, gọi công dân nhập ngũ", "Chế độ cho lực lượng dân quân"],
        Field::SocialOrderAndSafety => &[
            "Tình trạng trộm cắp vặt ở khu dân cư",
            "Mất an toàn giao thông tại nút giao",
            "Tụ tập đua xe trái phép vào ban đêm",
            "Tệ nạn cờ bạc, ma túy",
        ],
        Field::PartyBuilding => &["Sinh hoạt chi bộ ở khu dân cư", "Công tác phát triển đảng viên"],
        Field::GovernmentBuilding => &[
            "Thủ tục hành chính còn rườm rà",
            "Thái độ phục vụ ở bộ phận một cửa",
            "Công khai ngân sách và các khoản đóng góp",
        ],
        Field::FrontAndOrganizations | Field::Unspecified => &[
            "Hoạt động của Ban công tác Mặt trận ở khu dân cư",
            "Phong trào toàn dân đoàn kết xây dựng đời sống văn hóa",
        ],
    };
    texts.choose(rng).copied().unwrap_or("Ý kiến của công dân")
}

/// What goes to citizen reception instead (R1.2).
pub const COMPLAINTS: &[&str] = &[
    "Khiếu nại quyết định thu hồi đất",
    "Khiếu nại về giá bồi thường",
    "Tố cáo cán bộ địa chính có dấu hiệu sai phạm",
];
