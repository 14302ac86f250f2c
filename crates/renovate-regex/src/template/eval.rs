//! Rendering a parsed template as Handlebars 4.7's runtime does: how a name is
//! classified (helper, ambiguous, plain path), the context stack that `../` climbs,
//! `@` data frames, block parameters, and the built-in helpers (`if`, `unless`, `each`,
//! `with`, `lookup`, `log`) with their exceptions.

use std::rc::Rc;

use super::helpers::{self, Helpers};
use super::syntax::{Block, Call, Expr, Path, Program, Stmt};
use super::value::Value;
use super::{Failure, MAX_OUTPUT};

/// The handlebars built-ins that the compiler knows at compile time (`knownHelpers`).
const KNOWN_HELPERS: &[&str] = &[
    "helperMissing",
    "blockHelperMissing",
    "each",
    "if",
    "unless",
    "with",
    "log",
    "lookup",
];

/// `@` variables: a frame copies its parent's and keeps it as `_parent`.
#[derive(Debug, Clone)]
struct Data {
    vars: Vec<(&'static str, Value)>,
    parent: Option<Rc<Data>>,
}

impl Data {
    fn get(&self, name: &str) -> Value {
        self.vars
            .iter()
            .rev()
            .find(|(key, _)| *key == name)
            .map_or(Value::Undefined, |(_, value)| value.clone())
    }
}

/// Where a program runs: its context and those it can climb to, its data frame and
/// the block parameters in scope (innermost last).
#[derive(Clone)]
struct Env {
    depths: Rc<Vec<Value>>,
    data: Rc<Data>,
    block_params: Rc<Vec<Vec<(String, Value)>>>,
}

impl Env {
    fn context(&self) -> &Value {
        &self.depths[0]
    }

    /// The environment a block's program runs in: a new context pushed unless it is
    /// the current one (Handlebars compares them with `!=`).
    fn enter(
        &self,
        context: Value,
        data: Option<Rc<Data>>,
        params: Option<Vec<(String, Value)>>,
    ) -> Env {
        let depths = if loosely_same(&context, self.context()) {
            self.depths.clone()
        } else {
            let mut depths = Vec::with_capacity(self.depths.len() + 1);
            depths.push(context);
            depths.extend(self.depths.iter().cloned());
            Rc::new(depths)
        };
        let block_params = match params {
            Some(params) => {
                let mut all = (*self.block_params).clone();
                all.push(params);
                Rc::new(all)
            }
            None => self.block_params.clone(),
        };
        Env {
            depths,
            data: data.unwrap_or_else(|| self.data.clone()),
            block_params,
        }
    }

    fn block_param(&self, name: &str) -> Option<Value> {
        self.block_params.iter().rev().find_map(|level| {
            level
                .iter()
                .find(|(param, _)| param == name)
                .map(|(_, value)| value.clone())
        })
    }
}

/// `context != depths[0]` for values copied here: primitives by value, and an array
/// or object is never the same as another.
fn loosely_same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Undefined | Value::Null, Value::Undefined | Value::Null) => true,
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => false,
        _ => a.strict_equals(b),
    }
}

pub struct Renderer<'h> {
    pub helpers: &'h Helpers,
    pub escape: bool,
}

/// How `classifySexpr` sees a mustache, block or subexpression.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Helper,
    Ambiguous,
    Simple,
}

impl Renderer<'_> {
    pub fn render(&self, program: &Program, context: Value) -> Result<Value, Failure> {
        let env = Env {
            data: Rc::new(Data {
                vars: vec![("root", context.clone())],
                parent: None,
            }),
            depths: Rc::new(vec![context]),
            block_params: Rc::new(Vec::new()),
        };
        self.program(program, &env)
    }

    /// A program's value as its compiled JavaScript returns it: consecutive outputs are
    /// one `a + b + ...` expression (numbers add up), and an ambiguous block (`{{#x}}`)
    /// is appended to a string buffer on its own.
    fn program(&self, program: &Program, env: &Env) -> Result<Value, Failure> {
        // `buffer` exists once an ambiguous block has been appended: `buffer = a + b`
        // before it (or ""), `buffer += a + b` between, `return buffer + a + b` after.
        let mut buffer: Option<Value> = None;
        let mut chain: Vec<Value> = Vec::new();
        let mut size = 0;
        for statement in &program.body {
            let operand = match statement {
                Stmt::Content(content) if content.value.is_empty() => continue,
                Stmt::Content(content) => Value::Str(content.value.clone()),
                Stmt::Comment { .. } => continue,
                Stmt::Partial { name, .. } => {
                    return Err(Failure::throws(format!(
                        "The partial {name} could not be found"
                    )));
                }
                Stmt::Mustache { call, escaped, .. } => {
                    let value = self.mustache(call, env)?;
                    if *escaped && self.escape {
                        let mut text = String::new();
                        escape_html_into(&value.to_output(), &mut text);
                        Value::Str(text)
                    } else if value.is_nullish() {
                        Value::str("")
                    } else {
                        value
                    }
                }
                Stmt::Block(block) => {
                    let (value, ambiguous) = self.block(block, env)?;
                    if ambiguous {
                        let grouped = fold(std::mem::take(&mut chain));
                        let mut flushed = match (buffer.take(), grouped) {
                            (None, grouped) => grouped.unwrap_or(Value::str("")),
                            (Some(buffer), Some(grouped)) => js_add(&buffer, &grouped),
                            (Some(buffer), None) => buffer,
                        };
                        if !value.is_nullish() {
                            flushed = js_add(&flushed, &value);
                        }
                        buffer = Some(flushed);
                        continue;
                    }
                    if value.is_nullish() {
                        Value::str("")
                    } else {
                        value
                    }
                }
            };
            size += match &operand {
                Value::Str(s) => s.len(),
                _ => 24,
            };
            if size > MAX_OUTPUT {
                return Err(Failure::unsupported(format!(
                    "the output is larger than {MAX_OUTPUT} bytes"
                )));
            }
            chain.push(operand);
        }
        Ok(match buffer {
            None => fold(chain).unwrap_or(Value::str("")),
            Some(buffer) => chain.iter().fold(buffer, |sum, item| js_add(&sum, item)),
        })
    }

    fn run(&self, program: Option<&Program>, env: &Env) -> Result<Value, Failure> {
        match program {
            Some(program) => self.program(program, env),
            // `container.noop`.
            None => Ok(Value::str("")),
        }
    }

    /// Runs a block's program with a new context, frame and block parameters, as
    /// `options.fn(context, {data, blockParams})` does.
    fn run_with(
        &self,
        program: Option<&Program>,
        env: &Env,
        context: Value,
        data: Option<Rc<Data>>,
        values: Vec<Value>,
    ) -> Result<Value, Failure> {
        let Some(program) = program else {
            return Ok(Value::str(""));
        };
        let params = (!program.block_params.is_empty()).then(|| {
            program
                .block_params
                .iter()
                .cloned()
                .zip(
                    values
                        .into_iter()
                        .chain(std::iter::repeat(Value::Undefined)),
                )
                .collect()
        });
        let env = env.enter(context, data, params);
        self.program(program, &env)
    }

    fn classify(&self, call: &Call, is_sub: bool, env: &Env) -> Kind {
        let Expr::Path(path) = &call.path else {
            // A literal in a helper's place is read as a path of that name.
            return if call.params.is_empty() && call.hash.is_empty() && !is_sub {
                Kind::Ambiguous
            } else {
                Kind::Helper
            };
        };
        let simple = path.is_simple() && !path.data;
        let block_param = simple && env.block_param(&path.parts[0]).is_some();
        let mut helper =
            !block_param && (is_sub || !call.params.is_empty() || !call.hash.is_empty());
        let eligible = !block_param && (helper || simple);
        if eligible && !helper && KNOWN_HELPERS.contains(&path.parts[0].as_str()) {
            helper = true;
        }
        if helper {
            Kind::Helper
        } else if eligible {
            Kind::Ambiguous
        } else {
            Kind::Simple
        }
    }

    /// A literal in a helper's place becomes a path named by its text.
    fn name_of(call: &Call) -> Option<String> {
        match &call.path {
            Expr::Path(path) if path.is_simple() && !path.data => Some(path.parts[0].clone()),
            Expr::Literal(value) => Some(value.to_js_string()),
            _ => None,
        }
    }

    fn mustache(&self, call: &Call, env: &Env) -> Result<Value, Failure> {
        match self.classify(call, false, env) {
            Kind::Simple => self.expr(&call.path, env),
            Kind::Ambiguous => {
                let name = Self::name_of(call).expect("ambiguous names are simple");
                if self.helpers.has(&name) {
                    return self.call_helper(&name, call, env, None);
                }
                // `helpers.x || depth0.x`, and helperMissing (undefined) for null.
                let value = context_property(env, &name)?;
                Ok(if value.is_nullish() {
                    Value::Undefined
                } else {
                    value
                })
            }
            Kind::Helper => self.helper_call(call, env, None),
        }
    }

    /// A block's value, and whether it was compiled as ambiguous (`{{#name}}` with no
    /// arguments, not a built-in), which its program appends on its own.
    fn block(&self, block: &Block, env: &Env) -> Result<(Value, bool), Failure> {
        let blocks = Some((block.program.as_ref(), block.inverse.as_ref()));
        match self.classify(&block.call, false, env) {
            Kind::Simple => {
                let value = self.expr(&block.call.path, env)?;
                Ok((self.block_helper_missing(value, block, env)?, false))
            }
            Kind::Ambiguous => {
                let name = Self::name_of(&block.call).expect("ambiguous names are simple");
                if self.helpers.has(&name) {
                    return Ok((self.call_helper(&name, &block.call, env, blocks)?, true));
                }
                let value = context_property(env, &name)?;
                Ok((self.block_helper_missing(value, block, env)?, true))
            }
            Kind::Helper => Ok((self.helper_call(&block.call, env, blocks)?, false)),
        }
    }

    /// `blockHelperMissing`: true runs the block, false/null/undefined the inverse, an
    /// array iterates, anything else becomes the block's context.
    fn block_helper_missing(
        &self,
        value: Value,
        block: &Block,
        env: &Env,
    ) -> Result<Value, Failure> {
        let (program, inverse) = (block.program.as_ref(), block.inverse.as_ref());
        match value {
            Value::Bool(true) => self.run(program, env),
            Value::Bool(false) | Value::Undefined | Value::Null => self.run(inverse, env),
            Value::Array(items) if items.is_empty() => self.run(inverse, env),
            Value::Array(_) => self.each(value, program, inverse, env),
            other => self.run_with(program, env, other.clone(), None, vec![other]),
        }
    }

    /// A mustache, block or subexpression classified as a helper call.
    fn helper_call(
        &self,
        call: &Call,
        env: &Env,
        blocks: Option<(Option<&Program>, Option<&Program>)>,
    ) -> Result<Value, Failure> {
        if let Some(name) = Self::name_of(call)
            && (self.helpers.has(&name) || KNOWN_HELPERS.contains(&name.as_str()))
        {
            return self.call_helper(&name, call, env, blocks);
        }
        // `helpers.x || depth0.x || helperMissing`, then `.call(...)`; a literal in a
        // helper's place is a name.
        let (name, value) = match &call.path {
            Expr::Path(path) => (path.original.clone(), self.path(path, env)?),
            Expr::Literal(literal) => {
                let name = literal.to_js_string();
                let value = context_property(env, &name)?;
                (name, value)
            }
            Expr::Sub(_) => unreachable!("a helper's place holds a name or a literal"),
        };
        if value.truthy() {
            return Err(Failure::throws(format!(
                "TypeError: {name} is not a function"
            )));
        }
        // helperMissing returns undefined when it gets only `options` (a hash does
        // not count as an argument).
        if call.params.is_empty() {
            return Ok(Value::Undefined);
        }
        Err(Failure::throws(format!("Missing helper: \"{name}\"")))
    }

    fn call_helper(
        &self,
        name: &str,
        call: &Call,
        env: &Env,
        blocks: Option<(Option<&Program>, Option<&Program>)>,
    ) -> Result<Value, Failure> {
        let args = call
            .params
            .iter()
            .map(|param| self.expr(param, env))
            .collect::<Result<Vec<_>, _>>()?;
        let hash = call
            .hash
            .iter()
            .map(|(key, value)| Ok((key.clone(), self.expr(value, env)?)))
            .collect::<Result<Vec<_>, Failure>>()?;
        let (program, inverse) = blocks.unwrap_or((None, None));
        let is_block = blocks.is_some();
        match name {
            "if" | "unless" => {
                if args.len() != 1 {
                    return Err(Failure::throws(format!(
                        "#{name} requires exactly one argument"
                    )));
                }
                if !is_block {
                    return Err(Failure::unsupported(format!("{name} outside a block")));
                }
                let include_zero = hash
                    .iter()
                    .rev()
                    .find(|(key, _)| key == "includeZero")
                    .is_some_and(|(_, value)| value.truthy());
                let condition = &args[0];
                let falsy =
                    (!include_zero && !condition.truthy()) || condition.is_empty_for_handlebars();
                let run_inverse = falsy == (name == "if");
                let chosen = if run_inverse { inverse } else { program };
                self.run(chosen, env)
            }
            "with" => {
                if args.len() != 1 {
                    return Err(Failure::throws("#with requires exactly one argument"));
                }
                if !is_block {
                    return Err(Failure::unsupported("with outside a block"));
                }
                let context = args.into_iter().next().expect("one argument");
                if context.is_empty_for_handlebars() {
                    self.run(inverse, env)
                } else {
                    self.run_with(program, env, context.clone(), None, vec![context])
                }
            }
            "each" => {
                if args.is_empty() {
                    return Err(Failure::throws("Must pass iterator to #each"));
                }
                if args.len() > 1 || !is_block {
                    return Err(Failure::unsupported(
                        "each with more than one argument or outside a block",
                    ));
                }
                self.each(
                    args.into_iter().next().expect("one argument"),
                    program,
                    inverse,
                    env,
                )
            }
            "lookup" => {
                // `if (!obj) return obj; return options.lookupProperty(obj, field)`, where
                // `options` is the third parameter: Handlebars' object only when there
                // are exactly two arguments.
                match args.first() {
                    Some(object) if !object.truthy() => Ok(object.clone()),
                    Some(object) if args.len() == 2 => {
                        if object.is_context() && args[1].as_property_key() == "env" {
                            return Err(Failure::unsupported(
                                "`env` is the Renovate runner's environment",
                            ));
                        }
                        Ok(object.property(&args[1].as_property_key()))
                    }
                    _ => Err(Failure::throws(
                        "TypeError: options.lookupProperty is not a function",
                    )),
                }
            }
            "log" => Ok(Value::Undefined),
            "helperMissing" => {
                if args.is_empty() {
                    Ok(Value::Undefined)
                } else {
                    Err(Failure::throws("Missing helper: \"helperMissing\""))
                }
            }
            "blockHelperMissing" => Err(Failure::unsupported("blockHelperMissing called by name")),
            _ => helpers::call(self.helpers, name, &args),
        }
    }

    /// `each`: array items or object values in order, with `@index`, `@key`, `@first`
    /// and `@last`; the inverse when there is nothing to iterate.
    fn each(
        &self,
        iterable: Value,
        program: Option<&Program>,
        inverse: Option<&Program>,
        env: &Env,
    ) -> Result<Value, Failure> {
        if iterable.is_context() {
            return Err(Failure::unsupported(
                "iterating Renovate's whole context, which holds the runner's global config and environment",
            ));
        }
        let items: Vec<(Value, Value)> = match &iterable {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (Value::Number(i as f64), item.clone()))
                .collect(),
            Value::Object(entries) => Value::keys(entries)
                .into_iter()
                .map(|key| (Value::str(key), iterable.property(key)))
                .collect(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            return self.run(inverse, env);
        }
        // `ret = ret + fn(...)` from `ret = ''`.
        let mut out = Value::str("");
        let count = items.len();
        for (index, (key, item)) in items.into_iter().enumerate() {
            let mut vars = env.data.vars.clone();
            vars.push(("key", key.clone()));
            vars.push(("index", Value::Number(index as f64)));
            vars.push(("first", Value::Bool(index == 0)));
            vars.push(("last", Value::Bool(index + 1 == count)));
            let data = Rc::new(Data {
                vars,
                parent: Some(env.data.clone()),
            });
            let value = self.run_with(program, env, item.clone(), Some(data), vec![item, key])?;
            out = js_add(&out, &value);
            if matches!(&out, Value::Str(s) if s.len() > MAX_OUTPUT) {
                return Err(Failure::unsupported(format!(
                    "the output is larger than {MAX_OUTPUT} bytes"
                )));
            }
        }
        Ok(out)
    }

    fn expr(&self, expr: &Expr, env: &Env) -> Result<Value, Failure> {
        match expr {
            Expr::Literal(value) => Ok(value.clone()),
            Expr::Sub(call) => match self.classify(call, true, env) {
                Kind::Helper => self.helper_call(call, env, None),
                _ => unreachable!("a subexpression is always a helper call"),
            },
            Expr::Path(path) => self.path(path, env),
        }
    }

    fn path(&self, path: &Path, env: &Env) -> Result<Value, Failure> {
        let mut parts = path.parts.iter();
        let start = if path.depth == 0
            && !path.is_scoped()
            && let Some(first) = path.parts.first()
            && let Some(value) = env.block_param(first)
        {
            parts.next();
            value
        } else if path.data {
            let mut data = env.data.clone();
            for _ in 0..path.depth {
                match data.parent.clone() {
                    Some(parent) => data = parent,
                    None => return Ok(Value::Undefined),
                }
            }
            match parts.next() {
                Some(first) => data.get(first),
                None => return Ok(Value::Undefined),
            }
        } else {
            env.depths
                .get(path.depth)
                .cloned()
                .unwrap_or(Value::Undefined)
        };
        let mut value = start;
        for part in parts {
            if value.is_nullish() {
                break;
            }
            value = property(&value, part)?;
        }
        Ok(value)
    }
}

/// `lookupProperty(value, name)`, refusing the runner's environment: Renovate's
/// template input is `{...GlobalConfig, ...input, env}`, and img-mirror cannot know
/// `env`.
fn property(value: &Value, name: &str) -> Result<Value, Failure> {
    if name == "env" && value.is_context() {
        return Err(Failure::unsupported(
            "`env` is the Renovate runner's environment, which img-mirror cannot know",
        ));
    }
    Ok(value.property(name))
}

/// `depth0.name`; an empty name (`{{''}}`) is the context itself, as Handlebars pushes
/// the context for it.
fn context_property(env: &Env, name: &str) -> Result<Value, Failure> {
    if name.is_empty() {
        return Ok(env.context().clone());
    }
    property(env.context(), name)
}

/// `a + b + ...`, left to right.
fn fold(items: Vec<Value>) -> Option<Value> {
    let mut items = items.into_iter();
    let first = items.next()?;
    Some(items.fold(first, |sum, item| js_add(&sum, &item)))
}

/// JavaScript's `a + b`: strings (and arrays and objects, through their strings)
/// concatenate; numbers and booleans add.
pub fn js_add(a: &Value, b: &Value) -> Value {
    let numeric = |v: &Value| match v {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Null => Some(0.0),
        Value::Undefined => Some(f64::NAN),
        _ => None,
    };
    match (numeric(a), numeric(b)) {
        (Some(x), Some(y)) => Value::Number(x + y),
        _ => {
            let mut text = a.to_js_string();
            text.push_str(&b.to_js_string());
            Value::Str(text)
        }
    }
}

/// handlebars 4.7's `escapeExpression`.
pub fn escape_html_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            other => out.push(other),
        }
    }
}
