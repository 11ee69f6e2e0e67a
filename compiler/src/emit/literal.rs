//! [`value!`]: a JSON value written as a JSON literal, with Rust expressions in it, for the
//! templates and manifests emit builds.
//!
//! serde_json's `json!` reads the same way, but turns every expression in it into a value by
//! serialising a reference to it: a template section built from other values (tags, policies,
//! container definitions) was copied whole, key by key, each time it was put into a larger one,
//! and the original dropped. `value!` moves each expression in through [`IntoValue`] instead.
//!
//! ```text
//! value!({ "Type": "AWS::ECS::Service", "Properties": properties, "Tags": [tag, { "Key": key }] })
//! ```
//!
//! Keys are string literals, variables, macro calls (`format!(…)`) or parenthesised expressions;
//! `null`, objects and arrays nest.

use serde_json::{Map, Number, Value};

/// What an expression inside [`value!`] becomes; owned values move in, borrowed ones are copied.
pub trait IntoValue {
    /// The JSON value of `self`.
    fn into_value(self) -> Value;
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl IntoValue for &Value {
    fn into_value(self) -> Value {
        self.clone()
    }
}

impl IntoValue for Map<String, Value> {
    fn into_value(self) -> Value {
        Value::Object(self)
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::String(self)
    }
}

impl IntoValue for &String {
    fn into_value(self) -> Value {
        Value::String(self.clone())
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::String(self.to_owned())
    }
}

impl IntoValue for &&str {
    fn into_value(self) -> Value {
        Value::String((*self).to_owned())
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

/// Whole numbers, as serde writes them.
macro_rules! whole_numbers {
    ($($kind:ty),*) => {
        $(
            impl IntoValue for $kind {
                fn into_value(self) -> Value {
                    Value::Number(Number::from(self))
                }
            }
        )*
    };
}

whole_numbers!(u8, u16, u32, u64, usize, i8, i16, i32, i64);

impl IntoValue for f64 {
    /// As serde: a number, or `null` when it is not finite.
    fn into_value(self) -> Value {
        Number::from_f64(self).map_or(Value::Null, Value::Number)
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Value {
        self.map_or(Value::Null, IntoValue::into_value)
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        Value::Array(self.into_iter().map(IntoValue::into_value).collect())
    }
}

impl<'a, T> IntoValue for &'a Vec<T>
where
    &'a T: IntoValue,
{
    fn into_value(self) -> Value {
        Value::Array(self.iter().map(IntoValue::into_value).collect())
    }
}

impl<'a, T> IntoValue for &'a [T]
where
    &'a T: IntoValue,
{
    fn into_value(self) -> Value {
        Value::Array(self.iter().map(IntoValue::into_value).collect())
    }
}

/// A JSON value written as a JSON literal; see the module's documentation.
macro_rules! value {
    (null) => { ::serde_json::Value::Null };
    ([]) => { ::serde_json::Value::Array(::std::vec::Vec::new()) };
    ([ $($elements:tt)+ ]) => {
        ::serde_json::Value::Array($crate::emit::literal::value!(@elements [] $($elements)+))
    };
    ({}) => { ::serde_json::Value::Object(::serde_json::Map::new()) };
    ({ $($members:tt)+ }) => {{
        let mut object = ::serde_json::Map::new();
        $crate::emit::literal::value!(@members object $($members)+);
        ::serde_json::Value::Object(object)
    }};
    ($other:expr) => { $crate::emit::literal::IntoValue::into_value($other) };

    // The elements of an array, gathered as expressions.
    (@elements [$($done:expr,)*]) => { ::std::vec![$($done,)*] };
    (@elements [$($done:expr,)*] null $(, $($rest:tt)*)?) => {
        $crate::emit::literal::value!(@elements [$($done,)* ::serde_json::Value::Null,] $($($rest)*)?)
    };
    (@elements [$($done:expr,)*] { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $crate::emit::literal::value!(
            @elements [$($done,)* $crate::emit::literal::value!({ $($inner)* }),] $($($rest)*)?
        )
    };
    (@elements [$($done:expr,)*] [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $crate::emit::literal::value!(
            @elements [$($done,)* $crate::emit::literal::value!([ $($inner)* ]),] $($($rest)*)?
        )
    };
    (@elements [$($done:expr,)*] $next:expr $(, $($rest:tt)*)?) => {
        $crate::emit::literal::value!(
            @elements [$($done,)* $crate::emit::literal::IntoValue::into_value($next),] $($($rest)*)?
        )
    };

    // The members of an object, inserted into `$object` one by one.
    (@members $object:ident) => {};
    (@members $object:ident $key:literal : $($rest:tt)+) => {
        $crate::emit::literal::value!(@member $object (::std::string::String::from($key)) $($rest)+)
    };
    (@members $object:ident $name:ident ! $arguments:tt : $($rest:tt)+) => {
        $crate::emit::literal::value!(
            @member $object (::std::string::String::from($name!$arguments)) $($rest)+
        )
    };
    (@members $object:ident $key:ident : $($rest:tt)+) => {
        $crate::emit::literal::value!(@member $object (::std::string::String::from($key)) $($rest)+)
    };
    (@members $object:ident ($key:expr) : $($rest:tt)+) => {
        $crate::emit::literal::value!(@member $object (::std::string::String::from($key)) $($rest)+)
    };
    (@member $object:ident ($key:expr) null $(, $($rest:tt)*)?) => {
        $object.insert($key, ::serde_json::Value::Null);
        $crate::emit::literal::value!(@members $object $($($rest)*)?);
    };
    (@member $object:ident ($key:expr) { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $object.insert($key, $crate::emit::literal::value!({ $($inner)* }));
        $crate::emit::literal::value!(@members $object $($($rest)*)?);
    };
    (@member $object:ident ($key:expr) [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $object.insert($key, $crate::emit::literal::value!([ $($inner)* ]));
        $crate::emit::literal::value!(@members $object $($($rest)*)?);
    };
    (@member $object:ident ($key:expr) $next:expr $(, $($rest:tt)*)?) => {
        $object.insert($key, $crate::emit::literal::IntoValue::into_value($next));
        $crate::emit::literal::value!(@members $object $($($rest)*)?);
    };
}

pub(crate) use value;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The same literals through `json!` and `value!` give equal values, in the same key order.
    #[test]
    fn value_builds_what_json_builds() {
        let tags = json!([{ "Key": "berth:workspace", "Value": "shop" }]);
        let name = String::from("web");
        let ports: Vec<u16> = vec![80, 443];
        let missing: Option<&str> = None;
        let nested = json!({ "Ref": "Vpc" });
        let key = "variable";
        // The same tokens through both macros.
        macro_rules! both {
            ($($literal:tt)+) => {
                (value!($($literal)+), json!($($literal)+))
            };
        }
        let (built, expected) = both!({
            "Type": "AWS::ECS::Service",
            "Name": name.clone(),
            "Borrowed": &name,
            "Count": 3,
            "Negative": -2,
            "Ratio": 0.5,
            "Nothing": null,
            "Missing": missing,
            "Ports": ports.clone(),
            "Flags": [true, false, null, "text", { "Inner": [] }, [1, [2]]],
            "Empty": {},
            ("Computed".to_owned() + "Key"): nested.clone(),
            format!("{name}/formatted"): 1,
            key: 2,
            "Tags": tags.clone(),
            "Trailing": { "a": 1, },
        });
        assert_eq!(built, expected);
        let keys = |value: &Value| {
            value
                .as_object()
                .map(|object| object.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(keys(&built), keys(&expected));
        assert_eq!(value!(null), Value::Null);
        assert_eq!(value!([]), json!([]));
        assert_eq!(value!(f64::NAN), json!(f64::NAN));
        assert_eq!(value!("x"), json!("x"));
    }
}
