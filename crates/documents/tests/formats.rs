//! Both formats, read back as an office's software reads them: the PDF by
//! poppler (`pdftotext -bbox`, which measures every word from the embedded
//! font), the DOCX by docx-rs and by LibreOffice, which must open it and
//! print it to PDF. With `DOITHOAI_DOCUMENTS_OUT` set, the files are kept.
#![allow(clippy::unwrap_used)]

use doithoai_documents::read::{self, Word};
use doithoai_documents::{Block, Date, Document, Format, Issuer, Number, Signature, TEXT_LEFT, TEXT_RIGHT};

const MM: f32 = 72.0 / 25.4;

fn notice(format: Format) -> Document {
    let (issuer, symbol) = match format {
        Format::Party => (Issuer { parent: "Thành ủy Hưng Yên".into(), name: "Văn phòng".into() }, "TB/VPTU"),
        Format::State => (Issuer { parent: "UBND tỉnh Hưng Yên".into(), name: "Văn phòng".into() }, "TB-VP"),
    };
    let mut body = vec![Block::Paragraph(
        "Thực hiện Quy chế tiếp xúc, đối thoại ban hành kèm theo Quyết định số 1548-QĐ/TU ngày 28/5/2019 của Ban Thường vụ Tỉnh ủy, người chủ trì hội nghị kết luận như sau:".into(),
    )];
    for n in 1..=34 {
        body.push(Block::Item(format!(
            "{n}. Kiến nghị về việc sửa chữa tuyến đường liên xã, nạo vét kênh mương nội đồng và hỗ trợ người dân bị ảnh hưởng bởi dự án khu công nghiệp — Cơ quan giải quyết: Sở Nông nghiệp và Môi trường tỉnh Hưng Yên"
        )));
    }
    body.push(Block::Note("Thông báo này được gửi đến các cơ quan để biết và thực hiện.".into()));
    Document {
        format,
        issuer,
        number: Some(Number { number: "17".into(), symbol: symbol.into() }),
        marking: None,
        place: "Hưng Yên".into(),
        date: Some(Date { day: 5, month: 2, year: 2026 }),
        kind: "Thông báo".into(),
        title: "Kết luận của người chủ trì hội nghị tiếp xúc, đối thoại với nhân dân".into(),
        body,
        recipients: vec!["Sở Nông nghiệp và Môi trường".into(), "UBND xã Tân Tiến".into(), "Lưu: VT".into()],
        signatures: vec![Signature {
            authority: "TL. Người chủ trì".into(),
            title: "Chánh Văn phòng".into(),
            name: "Nguyễn Thị Hằng".into(),
            signed: String::new(),
        }],
    }
}

fn minutes() -> Document {
    Document {
        format: Format::State,
        issuer: Issuer { parent: String::new(), name: "Ủy ban nhân dân xã Tân Tiến".into() },
        number: None,
        marking: None,
        place: "Tân Tiến".into(),
        date: Some(Date { day: 20, month: 3, year: 2026 }),
        kind: "Biên bản".into(),
        title: "Hội nghị tiếp xúc, đối thoại của người đứng đầu với nhân dân".into(),
        body: vec![
            Block::Heading("I. KHAI MẠC".into()),
            Block::Paragraph("Mục đích: lắng nghe ý kiến của nhân dân.".into()),
        ],
        recipients: Vec::new(),
        signatures: vec![
            Signature {
                authority: "Thư ký".into(),
                title: String::new(),
                name: "Trần Văn Bình".into(),
                signed: "Đã ký lúc 11 giờ 05, ngày 20/3/2026".into(),
            },
            Signature {
                authority: "Người chủ trì".into(),
                title: "Chủ tịch UBND xã".into(),
                name: "Lê Văn Cường".into(),
                signed: "Đã ký lúc 11 giờ 20, ngày 20/3/2026".into(),
            },
        ],
    }
}

fn words(name: &str, pdf: &[u8]) -> Vec<Word> {
    read::keep(name, pdf);
    read::poppler_words(pdf).unwrap()
}

fn find<'a>(words: &'a [Word], phrase: &str) -> &'a Word {
    read::find(words, phrase).unwrap_or_else(|| panic!("{phrase:?} is not in the PDF"))
}

fn check_pdf(name: &str, document: &Document, motto: &str, number: &str) {
    let words = words(&format!("{name}.pdf"), &document.pdf());

    // Every word inside the margins, as poppler measures it.
    assert!(read::outside_margins(&words).is_empty(), "{:?}", read::outside_margins(&words));

    let issuer = find(&words, &document.issuer.name.to_uppercase());
    let top_right = find(&words, motto);
    let number = find(&words, number);
    let date = find(&words, &document.date_line().unwrap());
    let kind = find(&words, &document.kind.to_uppercase());
    let title = find(&words, &document.title);
    let signer = find(&words, &document.signatures[0].name);
    let title_of_signer = find(&words, &document.signatures[0].title.to_uppercase());

    // The issuer at the top left beside the motto or the Party's title;
    // the number under the issuer, level with the place and date.
    assert_eq!((issuer.page, top_right.page), (1, 1));
    assert!(issuer.x_max < top_right.x_min, "the issuer is left of {motto}");
    assert!(number.y_min > issuer.y_min && number.x_max < date.x_min);
    assert!((number.y_min - date.y_min).abs() < 3.0, "the number is level with the date");
    assert!(date.y_min > top_right.y_min);
    if let Some(marking) = &document.marking {
        let marking = find(&words, &marking.to_uppercase());
        assert!(marking.y_min > number.y_min && marking.x_max < date.x_min, "the marking is under the number");
    }
    assert!(kind.y_min > date.y_min && title.y_min > kind.y_min);
    // The signer's name under the title, with room for the signature and seal.
    assert!(signer.page == title_of_signer.page && signer.y_min - title_of_signer.y_min > 15.0 * MM);
    if !document.recipients.is_empty() {
        let recipients = find(&words, "Nơi nhận:");
        assert_eq!(recipients.page, signer.page);
        assert!(recipients.x_max < title_of_signer.x_min, "the recipients are left of the signer");
        let last = find(&words, "- Lưu: VT.");
        assert!(last.y_min > recipients.y_min);
    }

    // Page numbers from page 2, centred in the top margin.
    let pages = words.iter().map(|w| w.page).max().unwrap();
    for page in 1..=pages {
        let top = words.iter().filter(|w| w.page == page).min_by(|a, b| a.y_min.total_cmp(&b.y_min)).unwrap();
        if page == 1 {
            assert_ne!(top.text, "1");
        } else {
            assert_eq!(top.text, page.to_string(), "page {page} is numbered");
            assert!(top.y_min < 20.0 * MM);
            let centre = (top.x_min + top.x_max) / 2.0;
            assert!((centre - (TEXT_LEFT + TEXT_RIGHT) / 2.0 * MM).abs() < 2.0);
        }
    }

    // Poppler and printpdf's own reader see the same text.
    let text = read::text_of(&document.pdf()).unwrap();
    assert!(text.contains(&document.signatures[0].name));
    assert_eq!(read::pages(&document.pdf()).unwrap(), pages);
}

/// The DOCX holds the same elements in the same order, and LibreOffice
/// opens it and prints it.
fn check_docx(name: &str, document: &Document, motto: &str, number: &str) {
    let docx = document.docx();
    read::keep(&format!("{name}.docx"), &docx);
    let paragraphs: Vec<String> = read::docx_paragraphs(&docx)
        .unwrap()
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let mut wanted = vec![document.issuer.name.to_uppercase(), number.to_owned()];
    wanted.extend(document.marking.as_ref().map(|m| m.to_uppercase()));
    wanted.push(motto.to_owned());
    wanted.extend([document.date_line().unwrap(), document.kind.to_uppercase(), document.title.clone()]);
    wanted.extend(document.body.iter().map(|b| match b {
        Block::Paragraph(s) | Block::Heading(s) | Block::Item(s) | Block::Note(s) => s.clone(),
    }));
    if !document.recipients.is_empty() {
        wanted.push("Nơi nhận:".into());
        wanted.push("- Lưu: VT.".into());
    }
    wanted.extend([document.signatures[0].title.to_uppercase(), document.signatures[0].name.clone()]);
    let mut from = 0;
    for element in &wanted {
        let at = paragraphs[from..]
            .iter()
            .position(|p| p == element)
            .unwrap_or_else(|| panic!("{element:?} is not in the DOCX after {:?}", &paragraphs[..from]));
        from += at + 1;
    }

    let printed = read::print_with_libreoffice(&docx).unwrap();
    let words = words(&format!("{name}-libreoffice.pdf"), &printed);
    find(&words, &document.title);
    find(&words, &document.signatures[0].name);
    if document.body.len() > 10 {
        let page_2 = words.iter().filter(|w| w.page == 2).min_by(|a, b| a.y_min.total_cmp(&b.y_min)).unwrap();
        assert_eq!(page_2.text, "2", "LibreOffice numbers page 2");
    }
}

#[test]
fn a_state_notice_has_the_motto_its_number_and_a_signer_by_name() {
    let notice = notice(Format::State);
    check_pdf("state-notice", &notice, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 17/TB-VP");
    check_docx("state-notice", &notice, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 17/TB-VP");
}

#[test]
fn a_party_notice_has_the_partys_title_and_number() {
    let notice = notice(Format::Party);
    check_pdf("party-notice", &notice, "ĐẢNG CỘNG SẢN VIỆT NAM", "Số 17-TB/VPTU");
    check_docx("party-notice", &notice, "ĐẢNG CỘNG SẢN VIỆT NAM", "Số 17-TB/VPTU");
    let text = read::text_of(&notice.pdf()).unwrap();
    assert!(!text.contains("CỘNG HÒA"), "a Party document carries no State motto");
    assert!(text.contains("THÀNH ỦY HƯNG YÊN VĂN PHÒNG"));
}

#[test]
fn a_document_holding_state_secrets_is_marked_under_its_number() {
    let notice = Document { marking: Some("Mật".into()), ..notice(Format::State) };
    check_pdf("state-notice-secret", &notice, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 17/TB-VP");
    check_docx("state-notice-secret", &notice, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 17/TB-VP");
}

#[test]
fn minutes_are_signed_side_by_side() {
    let minutes = minutes();
    let words = words("state-minutes.pdf", &minutes.pdf());
    let secretary = find(&words, "Trần Văn Bình");
    let host = find(&words, "Lê Văn Cường");
    assert!((secretary.y_min - host.y_min).abs() < 1.0 && secretary.x_max < host.x_min, "names on one line");
    find(&words, "Đã ký lúc 11 giờ 20, ngày 20/3/2026");
    let words = read::docx_paragraphs(&minutes.docx()).unwrap();
    assert!(words.iter().any(|p| p == "Trần Văn Bình") && words.iter().any(|p| p == "CHỦ TỊCH UBND XÃ"));
}

/// However long the body, the signatures never stand alone on the last
/// page, in the PDF or in the DOCX as LibreOffice prints it: the last
/// paragraph goes with them. Before that rule, 8, 9, 22 and 23 items left
/// them alone in the PDF, and 17, 18, 27 and 28 in LibreOffice.
#[test]
fn the_signatures_never_stand_alone_on_the_last_page() {
    let notice = |items: usize| {
        let mut notice = notice(Format::State);
        let note = notice.body.pop().unwrap();
        notice.body.truncate(items + 1);
        notice.body.push(note);
        notice
    };
    let apart = |words: Vec<Word>| find(&words, "Nguyễn Thị Hằng").page != find(&words, "Thông báo này được gửi").page;
    let in_pdf: Vec<usize> = (1..=34).filter(|&n| apart(read::poppler_words(&notice(n).pdf()).unwrap())).collect();
    let printed = |n: usize| read::poppler_words(&read::print_with_libreoffice(&notice(n).docx()).unwrap()).unwrap();
    let in_docx: Vec<usize> = (16..=19).chain(26..=29).filter(|&n| apart(printed(n))).collect();
    assert!(in_pdf.is_empty() && in_docx.is_empty(), "alone with {in_pdf:?} items in the PDF, {in_docx:?} in the DOCX");
}
