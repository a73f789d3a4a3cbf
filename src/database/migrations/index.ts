import { CreateArticles1732240000000 } from './1732240000000-create-articles';
import { CreateConduit1796076280723 } from './1796076280723-create-conduit';
import { DropToyArticles1796080169915 } from './1796080169915-drop-toy-articles';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [CreateArticles1732240000000, CreateConduit1796076280723, DropToyArticles1796080169915];
