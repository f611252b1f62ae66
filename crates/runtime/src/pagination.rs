//! Keyset pagination. A page token is opaque to callers: the sort key of the
//! last item, base64url behind a version tag, so that garbage or a token cut
//! short is INVALID_ARGUMENT rather than read as a key (or as the first page).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use doithoai_proto::common::v1::{PageInfo, PageRequest};

use crate::error::{Reason, ServiceError, ServiceResult};

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Longer than any token this service hands out (a unit path of ten codes, say).
pub const MAX_TOKEN_LENGTH: usize = 512;
const TAG: &str = "k1:";

/// A caller's side of a listing: every item, a thousand a page, until the
/// last page or `at_most` items. `fetch` asks for one page and returns its
/// items and the page's info (the next token, empty after the last).
pub async fn every_page<T, E, F, Fut>(at_most: usize, mut fetch: F) -> Result<Vec<T>, E>
where
    F: FnMut(Option<PageRequest>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<PageInfo>), E>>,
{
    let (mut all, mut page_token) = (Vec::new(), String::new());
    loop {
        let (items, page) = fetch(Some(PageRequest { page_size: MAX_PAGE_SIZE, page_token })).await?;
        all.extend(items);
        page_token = page.map(|p| p.next_page_token).unwrap_or_default();
        if page_token.is_empty() || all.len() >= at_most {
            all.truncate(at_most);
            return Ok(all);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub size: u32,
    /// Items strictly after this key.
    pub after: Option<String>,
}

impl Page {
    pub fn from_request(request: Option<&PageRequest>) -> ServiceResult<Self> {
        let request = request.cloned().unwrap_or_default();
        let size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(decode(token).ok_or_else(bad_token)?),
        };
        Ok(Self { size, after })
    }

    /// The key this page starts after, read by `parse`; a key that does not
    /// read is a token from elsewhere.
    pub fn after_key<T>(&self, parse: impl FnOnce(&str) -> Option<T>) -> ServiceResult<Option<T>> {
        self.after.as_deref().map(|key| parse(key).ok_or_else(bad_token)).transpose()
    }

    /// One more row than the page is fetched, to know whether another page follows.
    pub fn limit(&self) -> i64 {
        i64::from(self.size) + 1
    }

    /// Trims the extra row and names the next page.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, PageInfo) {
        let more = rows.len() > self.size as usize;
        rows.truncate(self.size as usize);
        let next_page_token =
            if more { rows.last().map(|row| encode(&key(row))).unwrap_or_default() } else { String::new() };
        (rows, PageInfo { next_page_token })
    }
}

fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TAG}{key}"))
}

fn decode(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LENGTH {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix(TAG).map(str::to_owned)
}

fn bad_token() -> ServiceError {
    ServiceError::invalid_argument(
        Reason::InvalidPageToken,
        "page.page_token is not a token this list handed out",
        "page.page_token không phải mã trang do danh sách này cấp",
    )
    .with_violation("page.page_token", "not a token from this list")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A listing of 0..n served by `Page`, as a service serves it.
    async fn listed(n: u32, request: Option<PageRequest>) -> Result<(Vec<u32>, Option<PageInfo>), ServiceError> {
        let page = Page::from_request(request.as_ref())?;
        let after = page.after_key(|key| key.parse::<u32>().ok())?;
        let rows: Vec<u32> = (0..n).filter(|i| after.is_none_or(|a| *i > a)).take(page.limit() as usize).collect();
        let (rows, info) = page.finish(rows, |i| i.to_string());
        Ok((rows, Some(info)))
    }

    #[tokio::test]
    async fn a_caller_reads_every_page_or_stops_at_its_bound() {
        let all = every_page(usize::MAX, |page| listed(2_500, page)).await.unwrap();
        assert_eq!(all, (0..2_500).collect::<Vec<_>>(), "three pages of a thousand");
        let some = every_page(1_200, |page| listed(2_500, page)).await.unwrap();
        assert_eq!(some, (0..1_200).collect::<Vec<_>>());
        assert!(every_page(usize::MAX, |page| listed(0, page)).await.unwrap().is_empty());
    }

    fn request(page_token: &str) -> PageRequest {
        PageRequest { page_size: 2, page_token: page_token.into() }
    }

    #[test]
    fn the_page_size_is_bounded() {
        let page = Page::from_request(Some(&PageRequest { page_size: 50_000, page_token: String::new() })).unwrap();
        assert_eq!(page.size, MAX_PAGE_SIZE);
        assert_eq!(Page::from_request(None).unwrap().size, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn the_last_page_has_no_token() {
        let page = Page { size: 2, after: None };
        let (rows, info) = page.finish(vec![1, 2, 3], |n| n.to_string());
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(Page::from_request(Some(&request(&info.next_page_token))).unwrap().after.as_deref(), Some("2"));
        let (_, info) = page.finish(vec![1, 2], |n| n.to_string());
        assert!(info.next_page_token.is_empty());
    }

    #[test]
    fn a_malformed_token_is_refused_not_read_as_the_first_page() {
        for token in ["%%%garbage", "a2V5", &"A".repeat(1 << 20)] {
            let refused = Page::from_request(Some(&request(token))).unwrap_err();
            assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{}", &token[..token.len().min(20)]);
        }
        let page = Page::from_request(Some(&request(&encode("not-a-uuid")))).unwrap();
        assert!(page.after_key(|key| uuid::Uuid::parse_str(key).ok()).is_err());
    }

    proptest! {
        #[test]
        fn every_key_handed_out_reads_back(key in "\\PC{0,100}") {
            let token = encode(&key);
            let page = Page::from_request(Some(&request(&token))).unwrap();
            prop_assert_eq!(page.after, Some(key));
        }

        #[test]
        fn any_token_is_read_or_refused_never_a_panic(token in "\\PC{0,600}") {
            let _ = Page::from_request(Some(&request(&token)));
        }
    }
}
