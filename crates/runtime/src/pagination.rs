//! Keyset pagination: the page token is the sort key of the last item.

use doithoai_proto::common::v1::{PageInfo, PageRequest};

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub size: u32,
    /// Items strictly after this key.
    pub after: Option<String>,
}

impl Page {
    pub fn from_request(request: Option<&PageRequest>) -> Self {
        let request = request.cloned().unwrap_or_default();
        let size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let after = Some(request.page_token).filter(|t| !t.is_empty());
        Self { size, after }
    }

    /// One more row than the page is fetched, to know whether another page follows.
    pub fn limit(&self) -> i64 {
        i64::from(self.size) + 1
    }

    /// Trims the extra row and names the next page.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, PageInfo) {
        let more = rows.len() > self.size as usize;
        rows.truncate(self.size as usize);
        let next_page_token = if more { rows.last().map(key).unwrap_or_default() } else { String::new() };
        (rows, PageInfo { next_page_token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_size_is_bounded() {
        let page = Page::from_request(Some(&PageRequest { page_size: 50_000, page_token: String::new() }));
        assert_eq!(page.size, MAX_PAGE_SIZE);
        assert_eq!(Page::from_request(None).size, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn the_last_page_has_no_token() {
        let page = Page { size: 2, after: None };
        let (rows, info) = page.finish(vec![1, 2, 3], |n| n.to_string());
        assert_eq!((rows, info.next_page_token.as_str()), (vec![1, 2], "2"));
        let (_, info) = page.finish(vec![1, 2], |n| n.to_string());
        assert!(info.next_page_token.is_empty());
    }
}
