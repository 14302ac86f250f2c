//! Cases whose outputs were taken from handlebars 4.7.8 and Renovate's own `compile`
//! (39.264.1 and 44.121.2, run with node); the differential suite in
//! tests/it/template_differential.rs generates many more.

use super::*;

fn context(json: serde_json::Value) -> Context {
    match Value::from_serde(json) {
        Value::Object(entries) => entries.into_iter().collect(),
        _ => panic!("a context is an object"),
    }
}

fn render_with(
    dialect: Dialect,
    template: &str,
    json: serde_json::Value,
) -> Result<String, TemplateError> {
    Template::parse(template, dialect)?.render(&context(json))
}

fn r39(template: &str, json: serde_json::Value) -> String {
    render_with(Dialect::RENOVATE_39, template, json).unwrap_or_else(|e| panic!("{e}"))
}

fn r44(template: &str, json: serde_json::Value) -> String {
    render_with(Dialect::RENOVATE_44, template, json).unwrap_or_else(|e| panic!("{e}"))
}

fn throws(dialect: Dialect, template: &str, json: serde_json::Value) -> TemplateError {
    let error = render_with(dialect, template, json).expect_err(template);
    assert!(!error.unsupported, "{template}: {error}");
    error
}

use serde_json::json;

#[test]
fn blocks_chains_and_iteration() {
    for (template, ctx, out) in [
        (
            "{{#each x}}{{@index}}:{{this}},{{/each}}",
            json!({"x": ["a", "b"]}),
            "0:a,1:b,",
        ),
        (
            "{{#each x}}{{@index}}{{@first}}{{@last}}{{@key}}|{{/each}}",
            json!({"x": ["a", "b", "c"]}),
            "0truefalse0|1falsefalse1|2falsetrue2|",
        ),
        (
            "{{#each o}}{{@key}}={{this}}{{@index}}{{@first}}{{@last}};{{/each}}",
            json!({"o": {"a": 1, "b": 2}}),
            "a=10truefalse;b=21falsetrue;",
        ),
        (
            "{{#each x}}y{{else}}empty{{/each}}",
            json!({"x": {}}),
            "empty",
        ),
        (
            "{{#each x}}[{{this}}]{{else}}E{{/each}}",
            json!({"x": 5}),
            "E",
        ),
        (
            "{{#each x as |v k|}}{{k}}={{v}},{{/each}}",
            json!({"x": ["p", "q"]}),
            "0=p,1=q,",
        ),
        (
            "{{#each x}}{{../top}}-{{this.n}}-{{n}},{{/each}}",
            json!({"top": "T", "x": [{"n": 1}, {"n": 2}]}),
            "T-1-1,T-2-2,",
        ),
        (
            "{{#each x}}{{#each this}}{{@../index}}.{{@index}}{{/each}};{{/each}}",
            json!({"x": [[1, 2], [3]]}),
            "0.00.1;1.0;",
        ),
        (
            "{{#if a}}1{{else if b}}2{{else}}3{{/if}}",
            json!({"a": false, "b": true}),
            "2",
        ),
        (
            "{{#if a}}1{{else unless b}}2{{else}}3{{/if}}",
            json!({"b": false}),
            "2",
        ),
        ("{{#if a}}T{{else}}F{{/if}}", json!({"a": {}}), "T"),
        (
            "{{#if a includeZero=true}}T{{else}}F{{/if}}",
            json!({"a": 0}),
            "T",
        ),
        (
            "{{#with o}}{{y}}{{else}}none{{/with}}",
            json!({"o": null}),
            "none",
        ),
        (
            "{{#with o as |p|}}{{p.y}}{{/with}}",
            json!({"o": {"y": "Y"}}),
            "Y",
        ),
        (
            "{{#with o}}{{../z}}{{@root.z}}{{/with}}",
            json!({"o": {"y": 1}, "z": "Z"}),
            "ZZ",
        ),
        (
            "{{#if x}}\na\n{{else if y}}\nb\n{{else}}\nc\n{{/if}}\n",
            json!({"y": 1}),
            "b\n",
        ),
        (
            "{{#each l}}{{this}}{{else if e}}E{{else}}N{{/each}}",
            json!({"l": [], "e": 1}),
            "E",
        ),
        (
            "{{#with o}}{{y}}{{else with p}}{{y}}{{/with}}",
            json!({"p": {"y": "P"}}),
            "P",
        ),
        (
            "{{#with x}}[{{this}}]{{else}}E{{/with}}",
            json!({"x": 0}),
            "[0]",
        ),
        (
            "{{#with o}}{{z}}{{/with}}",
            json!({"o": {"a": 1}, "z": "Z"}),
            "",
        ),
        (
            "{{#each l}}{{../../z}}{{/each}}",
            json!({"l": [1], "z": "Z"}),
            "",
        ),
        (
            "{{#each a}}{{@key}}:{{@index}} {{/each}}",
            json!({"a": {"b": "z", "2": "x", "1": "y"}}),
            "1:0 2:1 b:2 ",
        ),
        (
            "{{#foo}}[{{this}}]{{/foo}}",
            json!({"foo": ["a", "b"]}),
            "[a][b]",
        ),
        (
            "{{#foo}}[{{this}}]{{else}}E{{/foo}}",
            json!({"foo": 0}),
            "[0]",
        ),
        ("{{#x}}in{{/x}}", json!({"x": ""}), "in"),
        ("{{^foo}}inv{{/foo}}", json!({"foo": false}), "inv"),
        ("{{#unknownBlock}}x{{/unknownBlock}}", json!({}), ""),
        (
            "{{#x.y}}[{{this}}]{{/x.y}}",
            json!({"x": {"y": "v"}}),
            "[v]",
        ),
    ] {
        assert_eq!(r39(template, ctx), out, "{template}");
    }
}

#[test]
fn standalone_lines_and_whitespace_control() {
    for (template, ctx, out) in [
        ("a\n{{#if x}}\nb\n{{/if}}\nc", json!({"x": true}), "a\nb\nc"),
        ("a\n{{#if x}}\nb\n{{/if}}\nc", json!({"x": false}), "a\nc"),
        (
            "a\n  {{#if x}}  \nb\n  {{else}}\nq\n{{/if}}\nc",
            json!({"x": true}),
            "a\nb\nc",
        ),
        ("a {{#if x}}\nb\n{{/if}} c", json!({"x": true}), "a \nb\n c"),
        ("a\n{{! comment }}\nc", json!({}), "a\nc"),
        (
            "a\r\n{{#if x}}\r\nb\r\n{{/if}}\r\nc",
            json!({"x": true}),
            "a\r\nb\r\nc",
        ),
        (
            "a\n\n  {{~#if x~}}\n  b  \n{{~/if~}}\n\nc",
            json!({"x": true}),
            "abc",
        ),
        (
            "{{#if x}}\nA\n{{^}}\nB\n{{/if}}\n",
            json!({"x": false}),
            "B\n",
        ),
        (
            "\t {{#if x}}\t\nA\n \t{{/if}} \nZ",
            json!({"x": true}),
            "A\nZ",
        ),
        ("A\n{{#if x}}\nB\n{{/if}}", json!({"x": true}), "A\nB\n"),
        ("A\n  {{#if x}}B{{/if}}\nC", json!({"x": true}), "A\n  B\nC"),
        ("A\n{{#if x}}{{/if}}\nC", json!({"x": true}), "A\n\nC"),
        ("A\n  {{x}}  \nC", json!({"x": "X"}), "A\n  X  \nC"),
        ("A\n  {{!c}}  \nC", json!({}), "A\nC"),
        (
            "A\n{{#each l}}\n  {{#if this}}\n  {{this}}\n  {{/if}}\n{{/each}}\nC",
            json!({"l": [1, 0, 2]}),
            "A\n  1\n  2\nC",
        ),
        ("A\n\n{{~x}}\n\nB", json!({"x": "X"}), "AX\n\nB"),
        ("A {{~#if x}} B {{/if~}} C", json!({"x": true}), "A B C"),
        (
            "A {{#if x}} B {{~else~}} C {{/if}} D",
            json!({"x": false}),
            "A C  D",
        ),
    ] {
        assert_eq!(r39(template, ctx), out, "{template:?}");
    }
}

#[test]
fn paths_literals_and_printing() {
    for (template, ctx, out) in [
        ("[{{x}}]", json!({"x": [["a", "b"], "c"]}), "[a,b,c]"),
        ("[{{x}}]", json!({"x": {"a": 1}}), "[[object Object]]"),
        ("[{{x}}]", json!({"x": [null, 1]}), "[,1]"),
        (
            "{{x}}|{{{x}}}|{{&x}}",
            json!({"x": "<a href=\"x\">&'`=</a>"}),
            "&lt;a href&#x3D;&quot;x&quot;&gt;&amp;&#x27;&#x60;&#x3D;&lt;/a&gt;|<a href=\"x\">&'`=</a>|<a href=\"x\">&'`=</a>",
        ),
        ("{{x.y.z}}", json!({"x": null}), ""),
        ("{{x/y}}", json!({"x": {"y": "slash"}}), "slash"),
        ("{{this.x}}|{{./x}}", json!({"x": "X"}), "X|X"),
        (
            "{{[a b]}}|{{x.[0]}}|{{x.[1].n}}|{{[x].[0]}}",
            json!({"a b": "AB", "x": ["z", {"n": "N"}]}),
            "AB|z|N|z",
        ),
        ("{{x.length}}", json!({"x": "abc"}), "3"),
        ("{{x.[0]/[1]}}", json!({"x": [["a", "b"]]}), "b"),
        ("{{../x}}", json!({"x": "X"}), ""),
        ("{{@index}}|{{@key}}|{{@foo}}", json!({}), "||"),
        (
            "{{x-y}}|{{x.a-b}}",
            json!({"x-y": "dash", "x": {"a-b": "d2"}}),
            "dash|d2",
        ),
        (
            "{{$x}}|{{_x}}|{{x:y}}",
            json!({"$x": "d", "_x": "u", "x:y": "c"}),
            "d|u|c",
        ),
        ("{{\"str\"}}", json!({"str": "S"}), "S"),
        (
            "{{true}}|{{false}}|{{1}}",
            json!({"1": "ONE", "true": "T"}),
            "T||ONE",
        ),
        ("{{x.__proto__}}|{{x.length}}", json!({"x": {}}), "|"),
        ("{{lookup arr 1}}", json!({"arr": ["a", "b"]}), "b"),
        (
            "{{lookup (lookup o \"a\") \"b\"}}",
            json!({"o": {"a": {"b": "AB"}}}),
            "AB",
        ),
        ("{{lookup x 0}}", json!({"x": 0}), "0"),
        (
            "{{lookup s 1}}|{{lookup s \"length\"}}",
            json!({"s": "abc"}),
            "b|3",
        ),
        ("{{log \"hi\" x}}done", json!({"x": 1}), "done"),
        ("{{foo}}|{{foo.bar}}", json!({}), "|"),
        ("\\{{x}}|\\\\{{x}}", json!({"x": "X"}), "{{x}}|\\X"),
        ("}}{{x}}{", json!({"x": 1}), "}}1{"),
        ("{{!-- a }} b --}}X", json!({}), "X"),
    ] {
        assert_eq!(r39(template, ctx), out, "{template:?}");
    }
}

#[test]
fn what_throws_in_handlebars_throws_here() {
    let d = Dialect::RENOVATE_39;
    for (template, ctx) in [
        ("{{x.0}}", json!({"x": ["zero"]})),
        ("{{x.this}}", json!({"x": {"a": 1}})),
        ("{{lookup x}}", json!({"x": {"a": 1}})),
        ("{{foo bar}}", json!({"bar": 1})),
        ("{{foo \"x\"}}", json!({"foo": "v"})),
        ("{{#foo bar}}in{{/foo}}", json!({"bar": 1})),
        ("{{x a=1}}", json!({"x": "v"})),
        ("{{#if}}x{{/if}}", json!({})),
        ("{{#if a b}}x{{/if}}", json!({"a": 1})),
        ("{{#each}}x{{/each}}", json!({})),
        ("{{#if a}}x{{/each}}", json!({})),
        ("{{#if a}}x", json!({})),
        ("{{x", json!({})),
        ("{{> partial}}", json!({})),
        ("{{ #if x }}y{{ /if }}", json!({"x": 1})),
        ("{{{x}}", json!({"x": 1})),
        ("{{ else }}", json!({})),
        ("{{#if a}}{{else}}{{else}}{{/if}}", json!({})),
        ("{{replace \"x\" \"y\" 5}}", json!({})),
        ("{{lowercase 5}}", json!({})),
        ("{{lowercase labels}}", json!({"labels": ["A"]})),
        ("{{toJSON (toObject \"a\")}}", json!({})),
        ("{{decodeURIComponent \"%\"}}", json!({})),
        ("{{stringToPrettyJSON \"nope\"}}", json!({})),
        ("{{encodeBase64 5}}", json!({})),
        ("{{replace \"(\" \"x\" depName}}", json!({"depName": "a"})),
        (
            "{{replace \"a(?=b)\" \"X\" depName}}",
            json!({"depName": "ab"}),
        ),
        ("{{containsString newMajor \"1\"}}", json!({"newMajor": 1})),
        ("{{add 1 2}}", json!({})),
        ("{{uppercase x}}", json!({"x": "a"})),
    ] {
        throws(d, template, ctx);
    }
    throws(
        Dialect::RENOVATE_44,
        "{{add newMajor \"1\"}}",
        json!({"newMajor": 1}),
    );
}

#[test]
fn renovates_helpers_in_each_generation() {
    let ctx = json!({"depName": "a/b c=&", "labels": ["a", "b"], "newMajor": 1, "newMinor": 2, "isMajor": true, "isMinor": false});
    for (template, v39, v44) in [
        (
            "{{encodeURIComponent depName}}|{{decodeURIComponent \"a%2Fb%3D\"}}",
            "a%2Fb%20c%3D%26|a/b&#x3D;",
            "a%2Fb%20c%3D%26|a/b=",
        ),
        (
            "{{encodeURIComponent nothing}}|{{encodeURIComponent 5}}",
            "undefined|5",
            "undefined|5",
        ),
        (
            "{{{toJSON labels}}}|{{toJSON labels}}",
            "[\"a\",\"b\"]|[&quot;a&quot;,&quot;b&quot;]",
            "[\"a\",\"b\"]|[\"a\",\"b\"]",
        ),
        ("{{split depName \"/\"}}", "a,b c&#x3D;&amp;", "a,b c=&"),
        (
            "{{containsString labels \"b\"}}|{{equals newMajor 1}}|{{equals newMajor \"1\"}}",
            "true|true|false",
            "true|true|false",
        ),
        (
            "{{includes labels \"b\"}}|{{includes labels 1}}|{{includes depName \"b\"}}",
            "true|false|false",
            "true|false|false",
        ),
        (
            "{{and true 1 \"x\"}}|{{and true 0}}|{{or false \"\"}}|{{or 0 \"y\"}}|{{and}}|{{or}}",
            "true|false|false|true|true|false",
            "true|false|false|true|true|false",
        ),
        ("{{newMajor}}{{newMinor}}", "12", "3"),
        ("{{{newMajor}}}{{{newMinor}}}", "3", "3"),
        ("{{isMajor}}{{isMinor}}", "truefalse", "1"),
        (
            "{{#each labels}}{{@index}}{{@first}}{{@last}}{{/each}}",
            "0truefalse1falsetrue",
            "12",
        ),
        ("{{renovateVersion}}", "", "44.121.2"),
        (
            "{{equals}}|{{equals depName}}",
            "false|false",
            "false|false",
        ),
        (
            "{{{toJSON (toArray depName hash=1)}}}",
            "[\"a/b c=&\"]",
            "[\"a/b c=&\"]",
        ),
        (
            "{{{toJSON (lookupArray nothing \"url\")}}}|{{{toJSON (distinct nothing)}}}",
            "[]|[null]",
            "[]|[null]",
        ),
        (
            "{{{toJSON (distinct (toArray 1 \"1\" 1 (toObject \"a\" 1) (toObject \"a\" 1)))}}}",
            "[1,\"1\",{\"a\":1}]",
            "[1,\"1\",{\"a\":1}]",
        ),
        (
            "{{{stringToPrettyJSON \"{\\\"a\\\":[1,2]}\"}}}",
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}",
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}",
        ),
    ] {
        assert_eq!(r39(template, ctx.clone()), v39, "39: {template}");
        assert_eq!(r44(template, ctx.clone()), v44, "44: {template}");
    }
    assert_eq!(
        r44(
            "{{uppercase \"abC\"}}|{{add newMajor 1}}|{{decodeBase64 \"aGk+Pw==\"}}|{{decodeBase64 \"!!\"}}",
            ctx.clone()
        ),
        "ABC|2|hi>?|"
    );
    assert_eq!(
        r39("{{encodeBase64 \"hi>?\"}}|{{encodeBase64 nothing}}", ctx),
        "aGk+Pw&#x3D;&#x3D;|"
    );
}

#[test]
fn what_img_mirror_cannot_know_is_refused_not_guessed() {
    for template in [
        "{{env.HOME}}",
        "{{#if env.PATH}}x{{/if}}",
        "{{{toJSON this}}}",
        "{{@root.env.HOME}}",
        "{{#each this}}{{/each}}",
        "{{#with this}}{{env.HOME}}{{/with}}",
        "{{#> layout}}x{{/layout}}",
        "{{{{raw}}}}x{{{{/raw}}}}",
        "{{#*inline \"x\"}}y{{/inline}}",
    ] {
        let result = render_with(Dialect::RENOVATE_44, template, json!({}));
        let error = result.expect_err(template);
        assert!(error.unsupported, "{template}: {error}");
    }
    // Printed, the whole context is an object like any other.
    assert_eq!(
        r39("{{this}}|{{''}}|{{#if this}}y{{/if}}", json!({"a": "b"})),
        "[object Object]|[object Object]|y"
    );
    // The template's value becomes a string, as `'' + main()` makes it.
    assert_eq!(r44("{{add 1 2}}", json!({})), "3");
    assert_eq!(r44("{{split \"a/b\" \"/\"}}", json!({})), "a,b");
}

#[test]
fn constants_and_output_cap() {
    assert_eq!(
        Template::parse("docker", Dialect::RENOVATE_39)
            .unwrap()
            .constant()
            .as_deref(),
        Some("docker")
    );
    assert_eq!(
        Template::parse("a{{! note }}b", Dialect::RENOVATE_39)
            .unwrap()
            .constant()
            .as_deref(),
        Some("ab")
    );
    assert_eq!(
        Template::parse("{{{x}}}", Dialect::RENOVATE_39)
            .unwrap()
            .constant(),
        None
    );
    let long = "x".repeat(MAX_OUTPUT + 1);
    assert!(render_with(Dialect::RENOVATE_39, "{{{x}}}", json!({"x": long})).is_err());
}

#[test]
fn malformed_comments_are_errors_not_panics() {
    for bad in [
        "{{{!-- d%Name}m{e{lme}}{{lowl#see{!--}}",
        "{{!--",
        "{{!-- x }}",
        "{{!--}}",
        "{{{!-- a --}}",
    ] {
        let _ = Template::parse(bad, Dialect::RENOVATE_39);
    }
    assert!(Template::parse("{{!-- never closed", Dialect::RENOVATE_39).is_err());
}
