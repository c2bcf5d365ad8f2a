"""``subsidy recheck``: the desk's stored decisions judged again under the rules and district
settings in force now; the ones that would change, as CSV (and a line of counts on stderr)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HEAD = ["案件编号", "案件", "区县", "姓名/单位", "评估日期", "原规则版本", "项目", "原结论", "现行规则下"]


def cmd_recheck(args: argparse.Namespace) -> int:
    from engine.batch.layout import csv_text
    from engine.evaluate import Engine, default_engine
    from web import db
    from web.caseload.work import recheck
    from web.commands import EXIT_NO_DESK, desk
    from web.districts import store

    app = desk(migrating=False)
    if app is None:
        return EXIT_NO_DESK
    with db.database(app).sessions() as session:
        engine = Engine(default_engine().book, store.book(session))
        count, changes, refused = recheck(session, None, engine, args.district)
        rows = [HEAD] + [
            [
                c.record.case_id or "",
                c.record.ref,
                c.record.district,
                c.record.name or "",
                c.decision.as_of.isoformat(),
                c.decision.rules_version,
                c.title,
                c.before_text,
                c.after_text,
            ]
            for c in changes
        ]
    text = csv_text(rows)
    if args.output:
        Path(args.output).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    print(
        f"已按现行规则（版本 {engine.book.version}）重新判断 {count} 个案件的最后一次结论："
        f"{len(changes)} 项结论会变化",
        file=sys.stderr,
    )
    if refused:
        print(
            f"另有 {len(refused)} 个案件的原输入现在不被接受，未能重新判断（请在审核台更正后重新评估）：",
            file=sys.stderr,
        )
        for r in refused:
            print(f"  - {r.record.case_id or r.record.ref}（{r.record.district}）：{r.why}", file=sys.stderr)
    return 0
