from cwtenants.summary import render


def test_summary_table_has_one_row_per_provider_with_portal_url():
    text = render({
        "chatwoot_url": "http://127.0.0.1:3000/",
        "providers": {
            "b-prov": {"inbox_id": 2, "team_id": 5, "portal_id": 9, "portal_slug": "b-help"},
            "a-prov": {"inbox_id": 1, "team_id": 4, "portal_id": 8, "portal_slug": "a-help"},
        },
    })
    lines = text.splitlines()
    assert lines[0].split() == ["provider", "inbox", "id", "team", "id", "portal", "URL"]
    assert lines[1].split() == ["a-prov", "1", "4", "http://127.0.0.1:3000/hc/a-help"]
    assert lines[2].split() == ["b-prov", "2", "5", "http://127.0.0.1:3000/hc/b-help"]


def test_summary_lists_published_article_urls_per_locale():
    text = render({
        "chatwoot_url": "http://127.0.0.1:3000",
        "providers": {"a-prov": {"inbox_id": 1, "team_id": 4, "portal_id": 8, "portal_slug": "a-help",
                                 "articles": [{"locale": "en", "slug": "a-hello"}, {"locale": "de", "slug": "a-hallo"}]},
                      "b-prov": {"inbox_id": 2, "team_id": 5, "portal_id": 9, "portal_slug": "b-help"}},
    })
    lines = text.splitlines()
    assert lines[3] == ""  # a blank line after the table
    assert "Published Help Center articles:" in text
    assert [l.split() for l in lines[5:]] == [["a-prov", "http://127.0.0.1:3000/hc/a-help/en/articles/a-hello"],
                                              ["a-prov", "http://127.0.0.1:3000/hc/a-help/de/articles/a-hallo"]]
