/// PageStyle holds the styles of the status pages, the search box and the silence links, added to PageLayout's.
enum PageStyle {
    static let css = """
        .search{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:0 0 16px}
        .search input[type=search]{flex:1;min-width:12em;max-width:32em;padding:6px 10px;border:1px solid var(--border);border-radius:8px;\
        background:var(--card);color:var(--fg);font:inherit}
        .search input[type=search]:focus{outline:2px solid var(--link);outline-offset:1px}
        .search button{padding:6px 14px;border:1px solid var(--border);border-radius:8px;background:var(--card);color:var(--fg);font:inherit;cursor:pointer}
        [hidden]{display:none!important}
        dl.kv{display:grid;grid-template-columns:minmax(10em,max-content) 1fr;gap:0;margin:0}
        dl.kv dt,dl.kv dd{padding:8px 14px;border-top:1px solid var(--border);margin:0;min-width:0;word-break:break-word}
        dl.kv dt{color:var(--muted);font-weight:600}
        dl.kv dt:first-of-type,dl.kv dt:first-of-type+dd{border-top:0}
        pre.config{margin:0;padding:14px;overflow-x:auto;white-space:pre;background:var(--code);line-height:1.45}
        .cards2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30em),1fr));gap:0 16px}
        a.silence{display:inline-block;margin-top:4px;padding:1px 8px;border:1px solid var(--border);border-radius:6px;font-size:.8rem;white-space:nowrap}
        .fired{font-size:.8rem;color:var(--muted);white-space:nowrap}
        .fired b{color:var(--fg)}
        td.wrap{word-break:break-word}
        .dropped{color:var(--muted);font-size:.85rem}
        @media (max-width:640px){dl.kv{grid-template-columns:1fr}dl.kv dd{border-top:0;padding-top:0}}
        """
}
