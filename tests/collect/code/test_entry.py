"""Which files a handler runs: its module and the local modules it imports (Python, JS/TS)."""

from pathlib import Path

from iam_analyzer.collect.code.entry import handler_files, tsconfig_for


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def names(root: Path, entry) -> set[str]:
    return {f.resolve().relative_to(root.resolve()).as_posix() for f in entry.files}


def test_python_absolute_relative_and_package_imports(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/handler.py": "from .db import save\nfrom . import util\nimport app.sub.deep\nimport json\n",
        "app/db.py": "from ..shared import x\n",  # above the code folder: not followed
        "app/util.py": "",
        "app/sub/__init__.py": "",
        "app/sub/deep.py": "",
        "app/unused.py": "import boto3\n",
        "other.py": "",
    })
    got = names(tmp_path, handler_files(tmp_path, "app/handler.handler", "python3.12"))
    assert got == {"app/handler.py", "app/__init__.py", "app/db.py", "app/util.py", "app/sub/__init__.py", "app/sub/deep.py"}
    dotted = names(tmp_path, handler_files(tmp_path, "app.handler.handler", "python3.12"))
    assert dotted == got


def test_js_relative_index_package_main_and_ts_for_js(tmp_path):
    write(tmp_path, {
        "handlers/a.mjs": "import { x } from '../lib/x.js';\nimport y from '../lib';\nconst z = require('../pkg');\n"
                          "// import { no } from '../lib/commented.js';\nimport '../side.js';\nimport { S3Client } from '@aws-sdk/client-s3';\n"
                          "import lodash from 'lodash';\nimport outside from '../../outside.js';\n",
        "lib/x.ts": "export const x = 1;\n",
        "lib/index.ts": "export default 2;\n",
        "lib/commented.js": "",
        "pkg/package.json": '{"main": "main.cjs"}',
        "pkg/main.cjs": "module.exports = 3;\n",
        "side.js": "",
        "node_modules/lodash/index.js": "",
    })
    got = names(tmp_path, handler_files(tmp_path, "handlers/a.handler", "nodejs20.x"))
    assert got == {"handlers/a.mjs", "lib/x.ts", "lib/index.ts", "pkg/main.cjs", "side.js"}


def test_tsconfig_paths_with_comments_trailing_commas_and_extends(tmp_path):
    write(tmp_path, {
        "tsconfig.base.json": '{ "compilerOptions": { "baseUrl": "./src", "paths": { "@shared/*": ["shared/*"], } } }',
        "tsconfig.json": '{\n // the project\n "extends": "./tsconfig.base.json",\n /* paths come from the base */\n}\n',
        "src/h.ts": "import { a } from '@shared/a';\nimport { b } from 'models/b';\n",
        "src/shared/a.ts": "",
        "src/models/b.ts": "",
    })
    cfg = tsconfig_for(tmp_path / "src", tmp_path)
    assert cfg.base == (tmp_path / "src").resolve() and "@shared/*" in cfg.paths
    got = names(tmp_path / "src", handler_files(tmp_path / "src", "h.handler", "nodejs20.x", limit=tmp_path))
    assert got == {"h.ts", "shared/a.ts", "models/b.ts"}  # a path mapping, then baseUrl


def test_a_tsconfig_above_the_template_folder_is_not_read(tmp_path):
    write(tmp_path, {"tsconfig.json": '{"compilerOptions": {"baseUrl": "."}}', "app/src/h.ts": "import x from 'lib/x';\n",
                     "lib/x.ts": "", "app/src/lib/x.ts": ""})
    got = names(tmp_path / "app" / "src", handler_files(tmp_path / "app" / "src", "h.handler", "nodejs20.x",
                                                       limit=tmp_path / "app"))
    assert got == {"h.ts"}


def test_esbuild_entry_point_names_the_source_of_the_bundle(tmp_path):
    write(tmp_path, {"src/handlers/orders.ts": "import { q } from './q';\n", "src/handlers/q.ts": "", "src/other.ts": ""})
    entry = handler_files(tmp_path / "src", "orders.handler", "nodejs20.x", entry_points=["handlers/orders.ts", "other.ts"])
    assert names(tmp_path / "src", entry) == {"handlers/orders.ts", "handlers/q.ts"}


def test_no_such_handler_gives_no_files(tmp_path):
    write(tmp_path, {"a.py": ""})
    assert handler_files(tmp_path, "missing.handler", "python3.12").files == []
    assert handler_files(tmp_path, "a.handler", "nodejs20.x").files == []  # a Node handler is not a .py file


def test_a_broken_tsconfig_is_one_line_and_relative_imports_still_follow(tmp_path):
    write(tmp_path, {"tsconfig.json": '{"compilerOptions": {"paths": {"@x/*": ["x/*"]}\n', "h.ts":
                     "import { a } from './a';\nimport { b } from '@x/b';\n", "a.ts": "", "x/b.ts": ""})
    entry = handler_files(tmp_path, "h.handler", "nodejs20.x")
    assert names(tmp_path, entry) == {"h.ts", "a.ts"}
    (note,) = entry.notes
    assert note.startswith(f"{(tmp_path / 'tsconfig.json').resolve()}:") and "not valid JSON" in note


def test_a_symlink_loop_or_a_huge_file_never_raises(tmp_path):
    write(tmp_path, {"h.py": "import big\nimport loop\n"})
    (tmp_path / "big.py").write_text("import other\n" + "x = 1\n" * 400_000)  # past the size bound: not followed
    (tmp_path / "other.py").write_text("")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    entry = handler_files(tmp_path, "h.handler", "python3.12")
    assert "h.py" in names(tmp_path, entry) and "other.py" not in names(tmp_path, entry)


def test_a_handler_pointing_outside_the_code_folder_is_not_followed(tmp_path):
    write(tmp_path, {"secret/x.js": "require('@aws-sdk/client-s3');\n", "secret/y.py": "", "code/app.py": ""})
    entry = handler_files(tmp_path / "code", "../secret/x.handler", "nodejs20.x")
    assert entry.files == [] and "outside the code folder" in entry.notes[0]
    entry = handler_files(tmp_path / "code", "x.handler", "nodejs20.x", entry_points=["../secret/x.js"])
    assert entry.files == [] and "outside the code folder" in entry.notes[0]
