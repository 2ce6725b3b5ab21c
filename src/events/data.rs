//! Your own data on nodews objects (Node code's `ws.isAlive = true`,
//! `req.session = ...`): one value per type, in the spirit of `http::Extensions` and
//! Bun's `ws.data`. Stored behind a box allocated on first use, so an object that
//! carries none pays one pointer for it.

use std::any::{Any, TypeId};
use std::sync::Arc;

use parking_lot::Mutex;

type Values = Vec<(TypeId, Arc<dyn Any + Send + Sync>)>;

#[derive(Default)]
pub(crate) struct DataMap {
    values: Mutex<Option<Box<Values>>>,
}

impl std::fmt::Debug for DataMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.values.lock().as_ref().map_or(0, |v| v.len());
        write!(f, "DataMap({count} values)")
    }
}

impl DataMap {
    /// Stores `value`, replacing the one of the same type.
    pub(crate) fn set<T: Any + Send + Sync>(&self, value: T) {
        let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
        let mut values = self.values.lock();
        let values = values.get_or_insert_with(Box::default);
        match values.iter_mut().find(|(t, _)| *t == TypeId::of::<T>()) {
            Some(slot) => slot.1 = value,
            None => values.push((TypeId::of::<T>(), value)),
        }
    }

    /// The value of type `T`, if one was set: shared, so it may hold atomics or a
    /// `Mutex` that listeners on several threads update.
    pub(crate) fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let values = self.values.lock();
        let (_, value) = values
            .as_ref()?
            .iter()
            .find(|(t, _)| *t == TypeId::of::<T>())?;
        value.clone().downcast::<T>().ok()
    }

    /// Removes and returns the value of type `T`.
    pub(crate) fn remove<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let mut values = self.values.lock();
        let list = values.as_mut()?;
        let at = list.iter().position(|(t, _)| *t == TypeId::of::<T>())?;
        list.swap_remove(at).1.downcast::<T>().ok()
    }
}

/// The data methods (`set_data`, `data`, `remove_data`) for an object with a
/// `DataMap` returned by its method `$map`; `$node` names it in the docs, `$setup`
/// makes one.
macro_rules! data_methods {
    ($ty:ty, $node:literal, $setup:literal, $map:ident) => {
        impl $ty {
            #[doc = concat!("Attaches your own value to this object (Node code's `", $node, ".anything = value`): ",
                "one value per type, replacing the previous one of that type; every handle of the object sees it.\n\n",
                "```\n# let ", $node, " = ", $setup, ";\n",
                "struct IsAlive(std::sync::atomic::AtomicBool);\n",
                $node, ".set_data(IsAlive(true.into()));\n",
                "assert!(", $node, ".data::<IsAlive>().unwrap().0.load(std::sync::atomic::Ordering::SeqCst));\n```")]
            pub fn set_data<T: std::any::Any + Send + Sync>(&self, value: T) -> &Self {
                self.$map().set(value);
                self
            }

            #[doc = concat!("Your value of type `T` on this object, if [`set_data`](Self::set_data) stored one.\n\n",
                "```\n# let ", $node, " = ", $setup, ";\n",
                "assert!(", $node, ".data::<String>().is_none());\n",
                $node, ".set_data(String::from(\"room 1\"));\n",
                "assert_eq!(*", $node, ".data::<String>().unwrap(), \"room 1\");\n```")]
            pub fn data<T: std::any::Any + Send + Sync>(&self) -> Option<std::sync::Arc<T>> {
                self.$map().get::<T>()
            }

            #[doc = concat!("Removes your value of type `T` from this object and returns it (`delete ", $node, ".anything`).\n\n",
                "```\n# let ", $node, " = ", $setup, ";\n",
                $node, ".set_data(7u32);\n",
                "assert_eq!(", $node, ".remove_data::<u32>().as_deref(), Some(&7));\n",
                "assert!(", $node, ".data::<u32>().is_none());\n```")]
            pub fn remove_data<T: std::any::Any + Send + Sync>(&self) -> Option<std::sync::Arc<T>> {
                self.$map().remove::<T>()
            }
        }
    };
}
pub(crate) use data_methods;
