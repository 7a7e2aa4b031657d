// data.js - look-up lists shared by the pages (names of volunteers,
// categories, associations), fetched once per page view.
import { all, session } from './api.js';
import { getLang } from './i18n.js';

export async function volunteerNames() {
  if (!['coordinator', 'admin'].includes(session.me?.role)) return new Map();
  const items = await all('/v1/volunteers?limit=200');
  return new Map(items.map((v) => [v.id, v.name]));
}

export async function categoryNames() {
  const items = await all('/v1/categories?limit=200');
  return new Map(items.map((c) => [c.id, getLang() === 'en' ? c.name_en : c.name_da]));
}

export async function associationList() {
  return all('/v1/associations?limit=200');
}

export const catName = (c) => (getLang() === 'en' ? c.name_en : c.name_da);
