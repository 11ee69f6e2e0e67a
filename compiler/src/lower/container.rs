//! Lowering of one container (a workload's main container or a sidecar): image, command,
//! entrypoint, ports, environment, secrets, and the user it runs as.

use kdl::KdlNode;

use super::Lowerer;
use super::entries::{argument, name_span, property, value_span};
use super::overlay::Tree;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Container, Image, Port, Protocol, Route, Secret, SecretSource, User};
use crate::naming;
use crate::secret_ref;
use crate::source::{Span, Spanned};

impl Lowerer<'_> {
    pub(super) fn container(&mut self, tree: &Tree<'_>, owner: &Spanned<String>) -> Container {
        let image = self.image(tree, owner);
        let command = tree
            .child("command")
            .map(|command| self.all_text(command.node))
            .unwrap_or_default();
        let entrypoint = tree
            .child("entrypoint")
            .map(|entrypoint| self.all_text(entrypoint.node))
            .unwrap_or_default();
        let ports = tree
            .children_named("port")
            .filter_map(|port| self.port(port))
            .collect();
        let env = self.map(tree.child("env"));
        let secrets = tree
            .children_named("secret")
            .filter_map(|secret| self.secret(secret.node))
            .collect();
        let user = tree
            .child("user")
            .and_then(|user| self.user(user.node))
            .unwrap_or_else(|| Spanned::new(User::DEFAULT, Span::default()));
        let read_only_root = self.child_bool(tree, "read-only-root").unwrap_or(true);
        Container {
            image,
            command,
            entrypoint,
            ports,
            env,
            secrets,
            user,
            read_only_root,
        }
    }

    /// `user "UID"`, `user "UID:GID"` or `user UID`; the group is the user id when not given.
    fn user(&mut self, node: &KdlNode) -> Option<Spanned<User>> {
        let entry = argument(node, 0)?;
        let text = self.scalar(Some(entry))?;
        let id = |part: &str| {
            part.parse::<u32>()
                .ok()
                .filter(|id| i32::try_from(*id).is_ok())
        };
        let parsed = match text.value.split_once(':') {
            Some((uid, gid)) => id(uid).zip(id(gid)),
            None => id(&text.value).map(|uid| (uid, uid)),
        };
        if let Some((uid, gid)) = parsed
            && !entry.value().is_bool()
        {
            return Some(Spanned::new(User { uid, gid }, text.span));
        }
        self.invalid(
            text.span,
            format!("`{}` is not a numeric user", text.value),
            "not `UID` or `UID:GID`",
            "write numeric ids, as Kubernetes requires: `user \"999\"` or `user \"999:999\"` (`\"0\"` is root)",
        );
        None
    }

    fn image(&mut self, tree: &Tree<'_>, owner: &Spanned<String>) -> Spanned<Image> {
        let placeholder = Spanned::new(Image::Reference(String::new()), owner.span);
        let Some(node) = tree.child("image").map(|image| image.node) else {
            return placeholder;
        };
        let reference = argument(node, 0);
        let repository = property(node, "repository");
        match (reference, repository) {
            (Some(_), Some(repository)) => {
                self.invalid(
                    super::entries::key_span(repository),
                    "`image` has both a reference and `repository=`".into(),
                    "pick one",
                    "write either `image \"registry/name:tag\"` or `image repository=NAME tag=T`",
                );
                placeholder
            }
            (Some(reference), None) => {
                let Some(text) = self.text(Some(reference)) else {
                    return placeholder;
                };
                if let Some(tag) = property(node, "tag") {
                    self.invalid(
                        super::entries::key_span(tag),
                        "`tag=` only goes with `repository=`".into(),
                        "not used",
                        "put the tag in the reference: `image \"name:tag\"`",
                    );
                }
                if let Err(reason) = check_image_reference(&text.value) {
                    self.invalid(
                        text.span,
                        format!("`{}` is not an image reference: {reason}", text.value),
                        "invalid reference",
                        "write `registry/name:tag`, e.g. `ghcr.io/acme/web:1.4.2`",
                    );
                }
                Spanned::new(Image::Reference(text.value), text.span)
            }
            (None, Some(repository_entry)) => {
                let Some(name) = repository_entry.value().as_string() else {
                    return placeholder;
                };
                let repository =
                    Spanned::new(name.to_owned(), value_span(repository_entry, self.source));
                let span = name_span(node);
                let Some(tag) = self.text(property(node, "tag")) else {
                    if property(node, "tag").is_none() {
                        self.report(
                            Diagnostic::new(Code::MissingField, "`image repository=` needs `tag=`", span, "no tag")
                                .with_help("add `tag=\"{{tag}}\"`: repositories are immutable, so every deploy names its tag"),
                        );
                    }
                    return placeholder;
                };
                Spanned::new(
                    Image::Repository {
                        repository,
                        tag: tag.value,
                    },
                    span,
                )
            }
            (None, None) => {
                self.report(
                    Diagnostic::new(Code::MissingField, "`image` needs a reference or `repository=`", name_span(node), "no image given")
                        .with_help("write `image \"ghcr.io/acme/web:1.4\"` or `image repository=\"web\" tag=\"{{tag}}\"`"),
                );
                placeholder
            }
        }
    }

    fn port(&mut self, tree: &Tree<'_>) -> Option<Port> {
        let number = self.integer(argument(tree.node, 0))?;
        let number = Spanned::new(u16::try_from(number.value).ok()?, number.span);
        let protocol =
            match property(tree.node, "protocol").and_then(|entry| entry.value().as_string()) {
                Some("tcp") => Protocol::Tcp,
                Some("grpc") => Protocol::Grpc,
                _ => Protocol::Http,
            };
        let public = tree.child("public");
        let path = self.child_text(tree, "path");
        let host = self.child_text(tree, "host");
        let is_public = self.child_bool(tree, "public").unwrap_or(false);
        if let Some(path) = &path
            && !path.value.starts_with('/')
        {
            self.invalid(
                path.span,
                format!("path `{}` does not start with `/`", path.value),
                "not a path",
                format!("write `\"/{}\"`", path.value),
            );
        }
        if let Some(host) = &host
            && (host.value.is_empty()
                || host
                    .value
                    .contains(|character: char| character.is_whitespace() || character == '/'))
        {
            self.invalid(
                host.span,
                format!("`{}` is not a host name", host.value),
                "not a host",
                "write a DNS name such as `api.example.com`",
            );
        }
        if !is_public {
            for (name, written) in [
                ("path", path.as_ref().map(|path| path.span)),
                ("host", host.as_ref().map(|host| host.span)),
            ] {
                if let Some(span) = written {
                    self.invalid(span, format!("`{name}` only applies to a public port"), "port is not public", "add `public #true` to route this port from the load balancer, or remove this line");
                }
            }
        }
        if is_public && protocol == Protocol::Tcp {
            self.invalid(
                number.span,
                "a `tcp` port cannot be public on the shared HTTP load balancer".into(),
                "tcp port",
                "public ports are `http` or `grpc`",
            );
        }
        let route = is_public.then(|| Route {
            path: path.unwrap_or_else(|| Spanned::new("/".into(), number.span)),
            host,
            span: public.map_or(number.span, |public| name_span(public.node)),
        });
        Some(Port {
            number,
            protocol,
            route,
        })
    }

    fn secret(&mut self, node: &KdlNode) -> Option<Secret> {
        let name = self.name(node)?;
        if !naming::is_environment_variable(&name.value) {
            self.report(
                Diagnostic::new(
                    Code::InvalidName,
                    format!("`{}` is not a valid environment variable name", name.value),
                    name.span,
                    "invalid name",
                )
                .with_help("use letters, digits and `_`, not starting with a digit"),
            );
        }
        let from = self.text(property(node, "from"))?;
        let source = match secret_ref::parse_secret_source(&from.value) {
            Ok(source) => source,
            Err(error) => {
                let span = self.inner_span(from.span, &from.value, error.offset, error.len);
                self.report(
                    Diagnostic::new(
                        Code::InvalidSecretRef,
                        error.message,
                        span,
                        "invalid reference",
                    )
                    .with_help(error.help),
                );
                return None;
            }
        };
        let key = self.text(property(node, "key"));
        if let (Some(key), SecretSource::Ssm { .. }) = (&key, &source) {
            self.report(
                Diagnostic::new(
                    Code::InvalidSecretRef,
                    "`key=` needs a Secrets Manager secret",
                    key.span,
                    "an SSM parameter has no JSON keys",
                )
                .with_label(from.span, "this is an SSM parameter")
                .with_help(
                    "store the value in its own parameter, or move the secret to Secrets Manager",
                ),
            );
        }
        Some(Secret {
            name,
            source: Spanned::new(source, from.span),
            key,
        })
    }
}

fn check_image_reference(text: &str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.contains(char::is_whitespace) {
        return Err("it contains white space");
    }
    let name = text.split('@').next().unwrap_or(text);
    let path = match name.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') => {
            if tag.is_empty() || tag.len() > 128 {
                return Err("the tag is empty or longer than 128 characters");
            }
            path
        }
        _ => name,
    };
    let repository = path.split_once('/').map_or(path, |(registry, rest)| {
        if registry.contains(['.', ':']) || registry == "localhost" {
            rest
        } else {
            path
        }
    });
    if repository.is_empty()
        || repository
            .chars()
            .any(|character| character.is_ascii_uppercase())
    {
        return Err("the repository path must be lowercase");
    }
    Ok(())
}
